from django.apps import AppConfig
from django.core.signals import request_finished


class OrchestratorSiteConfig(AppConfig):
    """The project package as an app: site-wide management commands and signal wiring."""

    name = "orchestrator_site"
    verbose_name = "Project Orchestrator site"

    def ready(self) -> None:
        from .request_id import forget_request_id

        request_finished.connect(forget_request_id, dispatch_uid="forget_request_id")
