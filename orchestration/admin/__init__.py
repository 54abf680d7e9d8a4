"""Admin for every orchestration model (registered on import by Django's autodiscovery).

team: registration data people edit; sprints: what orchestration writes as sprints run;
decisions: decision configuration, audit trail, history features.
"""

from . import decisions, jobs, sprints, team

__all__ = ["decisions", "jobs", "sprints", "team"]
