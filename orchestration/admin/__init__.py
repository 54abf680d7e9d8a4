"""Admin for every orchestration model (registered on import by Django's autodiscovery).

team: registration data people edit; sprints: what orchestration writes as sprints run;
decisions: decision configuration, audit trail, history features; perftest: the stored
history of performance test runs.
"""

from . import decisions, jobs, perftest, sprints, team

__all__ = ["decisions", "jobs", "perftest", "sprints", "team"]
