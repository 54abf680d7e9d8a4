"""Pieces shared by the orchestration admins: read-only bases, links, filters, JSON."""

from __future__ import annotations

import json
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.utils import quote
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from perfmetrics.changelist import BoundedCountPaginator, TextInputFilter

_M = TypeVar("_M", bound=Model)
_P = TypeVar("_P", bound=Model)


class ReadOnlyModelAdmin(admin.ModelAdmin[_M]):
    """A model admin that shows rows and never adds, changes or deletes them.

    Orchestration writes these rows itself, inside one transaction under the
    project's lock (docs/design.md §3.5): sprint numbering, task snapshots behind velocity,
    history features behind similarity, the decision audit trail. Editing them by
    hand would bypass that lock and break what the engine relies on, so the admin
    only reads them. (It also means a project with history cannot be deleted here:
    Django refuses to cascade into rows the user may not delete.)
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False


class LargeTableMixin:
    """For tables that grow with the history (hundreds of thousands of rows and more):
    no full COUNT, no facet counts, at most ``cap`` rows paged."""

    show_full_result_count: ClassVar[bool] = False
    show_facets: ClassVar[admin.ShowFacets] = admin.ShowFacets.NEVER
    paginator: ClassVar[type] = BoundedCountPaginator


class ReadOnlyInline(admin.TabularInline[_M, _P]):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ExactSearchMixin:
    """Search that an index serves: the term equals one of ``exact_search_fields``.

    ``icontains`` over a large table reads every row on each search; identifiers
    here are exact keys (``TEST-001-TASK017``), so an equality match is what users type.
    """

    exact_search_fields: tuple[str, ...] = ()

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        match = Q()
        for field in self.exact_search_fields:
            match |= Q(**{field: term})
        return queryset.filter(match), False


class ProjectFilter(TextInputFilter):
    title = "project"
    parameter_name = "project"
    field = "project_id"


class SprintFilter(TextInputFilter):
    title = "sprint"
    parameter_name = "sprint"
    field = "sprint_id"


def change_url(model: type[Model], pk: int | str) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(pk)])


def change_link(model: type[Model], pk: int | str | None, text: object = None) -> SafeString | str:
    """A link to the row's admin page, or "-" without a row."""
    if pk is None or pk == "":
        return "-"
    return format_html('<a href="{}">{}</a>', change_url(model, pk), pk if text is None else text)


def changelist_link(model: type[Model], text: str, **params: str) -> SafeString:
    """A link to the model's changelist with ``params`` as its filters."""
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    query = f"?{urlencode(params)}" if params else ""
    return format_html('<a href="{}{}">{}</a>', url, query, text)


def pretty_json(value: object) -> SafeString:
    return format_html(
        '<pre class="json">{}</pre>', json.dumps(value, indent=2, sort_keys=True, default=str)
    )


def progress_bar(percentage: int) -> SafeString:
    return format_html(
        '<span title="{}%" style="display:inline-block;width:60px;height:0.8em;'
        'background:#eee;vertical-align:middle"><span style="display:block;height:100%;'
        'width:{}%;background:#2f6ea7"></span></span> {}%',
        percentage,
        percentage,
        percentage,
    )


def flatten(fields: tuple[str | tuple[str, ...], ...]) -> tuple[str, ...]:
    """The names of a ``fields`` layout (rows of names flattened), for ``readonly_fields``."""
    return tuple(n for f in fields for n in ((f,) if isinstance(f, str) else f))
