"""Names and titles for demo data, drawn from a caller's random generator."""

from __future__ import annotations

import random

CODENAMES = (
    "Aurora", "Basalt", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Indigo",
    "Juniper", "Kestrel", "Lumen", "Meridian", "Nimbus", "Onyx", "Polaris", "Quartz", "Riverbend",
    "Sierra", "Tundra", "Umber", "Vertex", "Willow", "Zephyr",
)  # fmt: skip
PRODUCTS = (
    "billing platform", "mobile app", "data pipeline", "customer portal", "search service",
    "payments gateway", "analytics dashboard", "identity service", "inventory system",
    "notification hub", "partner API", "reporting suite",
)  # fmt: skip
VERBS = (
    "Implement", "Refactor", "Fix", "Document", "Test", "Migrate", "Optimise", "Review",
    "Automate", "Instrument",
)  # fmt: skip
SUBJECTS = (
    "login flow", "invoice export", "search ranking", "cache layer", "audit log", "CSV import",
    "rate limiting", "password reset", "webhook retries", "dashboard filters", "email templates",
    "role permissions", "payment retries", "nightly backup", "API pagination", "error pages",
)  # fmt: skip
FIRST_NAMES = (
    "Ada", "Bruno", "Chen", "Dana", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kofi",
    "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Vera",
    "Wen", "Yara",
)  # fmt: skip
LAST_NAMES = (
    "Almeida", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito",
    "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov", "Rossi",
    "Schmidt", "Tanaka", "Varga",
)  # fmt: skip
PTO_REASONS = ("Vacation", "Family leave", "Conference", "Training", "Personal day")


def codename(rng: random.Random) -> str:
    return rng.choice(CODENAMES)


def product(rng: random.Random) -> str:
    return rng.choice(PRODUCTS)


def task_title(rng: random.Random) -> str:
    return f"{rng.choice(VERBS)} {rng.choice(SUBJECTS)}"


def people(rng: random.Random, project_id: str, count: int) -> list[tuple[str, str]]:
    """``count`` (name, email) pairs; emails are unique within the project."""
    result = []
    for number in range(1, count + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first}.{last}.{number}.{project_id}@example.com".lower()
        result.append((f"{first} {last}", email))
    return result


def pto_reason(rng: random.Random) -> str:
    return rng.choice(PTO_REASONS)
