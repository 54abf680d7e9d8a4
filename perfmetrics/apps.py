from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PerfmetricsConfig(AppConfig):
    name = "perfmetrics"
    verbose_name = "Performance metrics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  registers the system checks
        from .reporting import sync_thresholds_after_migrate

        # The reporting views read the thresholds from a table; refresh it from the
        # settings on every deploy's `migrate`.
        post_migrate.connect(
            sync_thresholds_after_migrate, sender=self, dispatch_uid="perfmetrics_thresholds"
        )
