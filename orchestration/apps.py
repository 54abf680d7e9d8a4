from django.apps import AppConfig
from django.core import checks


class OrchestrationConfig(AppConfig):
    name = "orchestration"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from perfmetrics.prometheus import register_collector

        from .checks import check_orchestration_settings
        from .perftest.prometheus import PerftestStatusCollector

        checks.register(check_orchestration_settings)
        register_collector(PerftestStatusCollector())
