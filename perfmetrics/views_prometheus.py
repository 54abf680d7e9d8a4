"""``/metrics`` for Prometheus: open like the health probes, never cached."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest

from .prometheus import exposition_registry
from .regression_gauge import computed_registry


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """The text exposition format 0.0.4, which every Prometheus version scrapes: the
    counted series, then those computed now (the release, the regression verdicts)."""
    body = generate_latest(exposition_registry()) + generate_latest(computed_registry())
    return HttpResponse(body, content_type=CONTENT_TYPE_PLAIN_0_0_4)
