"""Admin changelist pieces that stay fast on tables of millions of rows.

* :class:`BoundedCountPaginator` never counts a whole table: it counts at most
  ``cap + 1`` rows and, past that, shows the planner's estimate (unfiltered) or
  "more than cap" (filtered); pages stop at the cap.
* :class:`TextInputFilter` filters on an exact value typed into a box, so the
  sidebar never lists the distinct values of a column (a scan of the table).

Generic on purpose: any app's admin may use them (they know nothing of runs).
"""

from __future__ import annotations

from collections.abc import Iterator
from math import ceil
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property

if TYPE_CHECKING:
    from django.contrib.admin.filters import _ListFilterChoices


class BoundedCountPaginator(Paginator[Any]):
    """Counts at most ``cap + 1`` rows; browsing stops after ``cap`` rows.

    When more than ``cap`` rows match, :attr:`count` is the table's row estimate
    from ``pg_class.reltuples`` if the queryset is unfiltered (``is_estimate``),
    or ``cap + 1`` otherwise (``is_capped``; templates say "more than cap").
    Deep pages would be OFFSET scans as long as the table, so :attr:`num_pages`
    covers the first ``cap`` rows only; narrow the filters to go further back.
    """

    cap = 10_000

    @property
    def _queryset(self) -> QuerySet[Any]:
        assert isinstance(self.object_list, QuerySet), "pages querysets only"
        return self.object_list

    @cached_property
    def _bounded_count(self) -> int:
        queryset = self._queryset
        # COUNT over a LIMIT subquery: PostgreSQL stops after cap + 1 rows.
        return queryset.order_by()[: self.cap + 1].count()

    @cached_property
    def is_estimate(self) -> bool:
        return self._bounded_count > self.cap and not self._queryset.query.where

    @cached_property
    def is_capped(self) -> bool:
        return self._bounded_count > self.cap and not self.is_estimate

    @cached_property
    def count(self) -> int:
        if self.is_estimate:
            return max(self._table_estimate(), self.cap + 1)
        return self._bounded_count

    @cached_property
    def num_pages(self) -> int:
        if self.count == 0 and not self.allow_empty_first_page:
            return 0
        hits = max(1, min(self.count, self.cap) - self.orphans)
        return ceil(hits / self.per_page)

    def _table_estimate(self) -> int:
        queryset = self._queryset
        table = queryset.model._meta.db_table
        with connections[queryset.db].cursor() as cursor:
            # The planner's row estimate (kept by ANALYZE/autovacuum); no ORM API for it.
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [connections[queryset.db].ops.quote_name(table)],
            )
            row = cursor.fetchone()
        return int(row[0]) if row is not None else 0


class TextInputFilter(admin.ListFilter):
    """Exact match on ``field`` (an indexed column) with the value typed into a box.

    Subclasses set ``title``, ``parameter_name`` and ``field`` and may override
    :meth:`suggestions` to offer a few values as links (from a bounded query).
    """

    parameter_name: str = ""
    field: str = ""
    template = "admin/perfmetrics/text_input_filter.html"

    def __init__(
        self,
        request: HttpRequest,
        params: dict[str, Any],  # lists of values (the stubs say str)
        model: type[Model],
        model_admin: admin.ModelAdmin[Any],
    ) -> None:
        super().__init__(request, params, model, model_admin)
        if self.parameter_name in params:
            value = params.pop(self.parameter_name)[-1].strip()
            if value:
                self.used_parameters[self.parameter_name] = value
        self._suggestions = self.suggestions(request, model_admin)
        self.hidden_params: list[tuple[str, str]] = []

    def value(self) -> str | None:
        value = self.used_parameters.get(self.parameter_name)
        return str(value) if value is not None else None

    def suggestions(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[str]:
        return []

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str | None]:
        return [self.parameter_name]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(**{self.field: value}) if value is not None else queryset

    def choices(self, changelist: Any) -> Iterator[_ListFilterChoices]:
        """ "All", then the suggestions; also sets :attr:`hidden_params` for the form.

        The form resubmits every other parameter of the changelist (search,
        ordering, other filters) as hidden fields, so typing a value keeps them.
        """
        self.hidden_params = [
            (name, value)
            for name, values in changelist.filter_params.items()
            if name != self.parameter_name
            for value in values
        ]
        current = self.value()
        yield {
            "selected": current is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "All",
        }
        for value in self._suggestions:
            yield {
                "selected": value == current,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": value,
            }
