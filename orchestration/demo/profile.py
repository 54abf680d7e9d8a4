"""What a demo history is generated from: the parameters and each project's hidden profile."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

DEMO_PROJECT_ID = "TEST-001"
# Capacity trends act over a project's last sprints, like a team that recently changed.
TREND_WINDOW = 12
# (low, high) planned/capacity ratios: steady teams, ambitious ones, overloaded ones.
COMMITMENT_HABITS = ((0.8, 1.05), (1.05, 1.4), (1.4, 2.1))


class Trend(StrEnum):
    STABLE = "stable"
    INCREASING = "increasing"
    DECREASING = "decreasing"


@dataclass(frozen=True, kw_only=True)
class DemoParameters:
    """What to generate. ``today`` anchors every date, so output is a function of these."""

    today: date
    projects: int = 10
    sprints: int = 8
    team_min: int = 3
    team_max: int = 8
    backlog: int = 12
    seed: int = 1

    def problems(self) -> list[str]:
        """What is wrong with these parameters; empty when they can be generated."""
        problems = []
        if self.projects < 1:
            problems.append("projects must be at least 1 (TEST-001 is always generated)")
        if self.sprints < 0:
            problems.append("sprints must be zero or more")
        if not 1 <= self.team_min <= self.team_max:
            problems.append("team sizes need 1 <= team-min <= team-max")
        if self.backlog < 0:
            problems.append("backlog must be zero or more")
        return problems

    def project_id(self, index: int) -> str:
        """Index 0 is TEST-001."""
        return f"TEST-{index + 1:03d}"


@dataclass(frozen=True)
class ProjectProfile:
    team_size: int
    duration_weeks: int
    capacity: float
    commitment: float
    trend: Trend
    trend_per_sprint: float
    active_sprint: bool
    # Sprints always last duration_weeks; otherwise now and then a week more or less.
    steady_duration: bool
    # Standard deviation of the tasks completed around the capacity.
    noise: float

    def with_team(self, params: DemoParameters) -> ProjectProfile:
        """This profile with its team size brought within the requested range."""
        return replace(self, team_size=min(max(self.team_size, params.team_min), params.team_max))


# A small team that plans more than it finishes: it stands out from the population,
# and its history says "smaller sprints" (the task-count proposal) and "it is getting
# faster" (the sprint-duration proposal).
REFERENCE_PROFILE = ProjectProfile(
    team_size=4,
    duration_weeks=2,
    capacity=6.0,
    commitment=1.45,
    trend=Trend.INCREASING,
    trend_per_sprint=0.25,
    active_sprint=False,
    steady_duration=True,
    noise=0.3,
)


def draw_profile(index: int, rng: random.Random, params: DemoParameters) -> ProjectProfile:
    """The hidden truth of project number ``index``.

    TEST-001 (index 0) is fixed: a team of four whose velocity has been rising, with
    no active sprint. Every third project is a sibling of it (a team of about the same
    size and habits), so TEST-001 has similar projects even in a small demo.
    """
    if index == 0:
        return REFERENCE_PROFILE.with_team(params)
    if index % 3 == 1:
        return replace(
            REFERENCE_PROFILE.with_team(params),
            capacity=rng.uniform(5.0, 7.0),
            commitment=rng.uniform(1.35, 1.55),
            trend=rng.choice(list(Trend)),
            trend_per_sprint=rng.uniform(0.15, 0.35),
            active_sprint=rng.random() < 0.5,
        )
    team = rng.randint(params.team_min, params.team_max)
    weeks = rng.choices((1, 2, 3), weights=(2, 6, 2))[0]
    low, high = rng.choices(COMMITMENT_HABITS, weights=(5, 4, 1))[0]
    return ProjectProfile(
        team_size=team,
        duration_weeks=weeks,
        capacity=team * weeks * rng.uniform(0.5, 1.0),
        commitment=rng.uniform(low, high),
        trend=rng.choices(list(Trend), weights=(2, 1, 1))[0],
        trend_per_sprint=rng.uniform(0.15, 0.45),
        active_sprint=rng.random() < 0.5,
        steady_duration=False,
        noise=0.6,
    )


def capacity_at(profile: ProjectProfile, number: int, *, sprints: int) -> float:
    """Tasks the team can complete in sprint ``number`` of ``sprints`` (at least 1).

    The trend starts with the last TREND_WINDOW sprints (or the first sprint).
    """
    steps = max(0, number - max(1, sprints - TREND_WINDOW + 1))
    sign = {Trend.STABLE: 0, Trend.INCREASING: 1, Trend.DECREASING: -1}[profile.trend]
    return max(1.0, profile.capacity + sign * profile.trend_per_sprint * steps)
