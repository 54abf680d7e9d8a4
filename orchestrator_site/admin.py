"""The project's admin site: Django's, plus extra index entries that model admins offer.

A model admin that defines ``index_links(request) -> list[tuple[name, url]]`` (for
example the runs admin's chart page) gets those links listed under its app on the
admin index and in the navigation sidebar.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from django.contrib import admin
from django.http import HttpRequest


@runtime_checkable
class OffersIndexLinks(Protocol):
    def index_links(self, request: HttpRequest) -> list[tuple[str, str]]: ...


class OrchestratorAdminSite(admin.AdminSite):
    site_header = "Project Orchestrator administration"
    site_title = "Project Orchestrator admin"
    index_title = "Projects, sprints and performance runs"

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[Any]:
        app_list = super().get_app_list(request, app_label)
        apps = {app["app_label"]: app for app in app_list}
        for model, model_admin in self._registry.items():
            app = apps.get(model._meta.app_label)
            if app is None or not isinstance(model_admin, OffersIndexLinks):
                continue
            for name, url in model_admin.index_links(request):
                app["models"].append(
                    {
                        "name": name,
                        "object_name": f"{model.__name__}Link",
                        "admin_url": url,
                        "add_url": None,
                        "view_only": True,
                        "perms": {"view": True},
                    }
                )
        return app_list
