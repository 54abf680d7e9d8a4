"""Names on the wire that clients outside Django need: the orchestrate action and the
run-tag headers (docs/design.md §3.1). Importing this module needs no settings, so
perftest's request mix (``perftest/plan.py``) and the ``locustfile.py`` of the repository
use the same names the serializers validate."""

from __future__ import annotations

ACTION = "analyze_and_orchestrate"
SOURCE_HEADER = "X-Perf-Source"
LABEL_HEADER = "X-Perf-Label"
