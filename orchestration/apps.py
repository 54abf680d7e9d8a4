from django.apps import AppConfig
from django.core import checks


class OrchestrationConfig(AppConfig):
    name = "orchestration"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .checks import check_orchestration_settings

        checks.register(check_orchestration_settings)
