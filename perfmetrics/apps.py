import django_stubs_ext
from django.apps import AppConfig
from django.db.models.signals import post_migrate

# The admin, the changelist paginator and the DRF views subscript Django's generic classes
# at class creation (ModelAdmin[Run], Paginator[Any]). Django loads every app's config
# module before any app's models or admin, so patching here serves projects whose settings
# do not call monkeypatch() themselves; calling it again is harmless.
django_stubs_ext.monkeypatch()


class PerfmetricsConfig(AppConfig):
    name = "perfmetrics"
    verbose_name = "Performance metrics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  registers the system checks
        from .sql_reporting import sync_thresholds_after_migrate

        # The reporting views read the thresholds from a table; refresh it from the
        # settings on every deploy's `migrate`.
        post_migrate.connect(
            sync_thresholds_after_migrate, sender=self, dispatch_uid="perfmetrics_thresholds"
        )
