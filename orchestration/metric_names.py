"""Names under which orchestration is measured by perfmetrics.

A plain module without Django imports: ``settings.PERFMETRICS`` names these to give
them thresholds, and the code that measures uses them (docs/design.md §5).
"""

from __future__ import annotations

# The measured run of one orchestration call.
RUN_NAME = "total_orchestration"
# The component whose duration has a threshold and a summary in every response.
PATTERN_ANALYSIS = "full_pattern_analysis"
