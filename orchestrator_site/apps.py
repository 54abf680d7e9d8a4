from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.core.signals import request_finished


class OrchestratorSiteConfig(AppConfig):
    """The project package as an app: site-wide management commands and signal wiring."""

    # Picked for "orchestrator_site" in INSTALLED_APPS, whatever else this module holds.
    default = True
    name = "orchestrator_site"
    verbose_name = "Project Orchestrator site"

    def ready(self) -> None:
        from .request_id import forget_request_id

        request_finished.connect(forget_request_id, dispatch_uid="forget_request_id")


class OrchestratorAdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` with the project's site as ``admin.site``.

    Listed by its dotted path in INSTALLED_APPS; ``default = False`` keeps Django
    from taking it for the configuration of the ``orchestrator_site`` app itself.
    """

    default = False
    default_site = "orchestrator_site.admin.OrchestratorAdminSite"
