"""No secret is tracked in the repository: the files ``git ls-files`` lists hold no key
material, no credentials in URLs and no literal SECRET_KEY, and Kubernetes Secrets are
examples with placeholders only. Documented placeholders are listed here, each with the
file that uses it."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from .deployfiles import REPO

PLACEHOLDER = "CHANGE-ME"

# (name, pattern): each match is a finding unless allowed below.
RULES = [
    ("private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY( BLOCK)?-----")),
    ("AWS access key id", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("AWS secret key", re.compile(r"(?i)aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+]{40}")),
    ("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}")),
    ("Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("API token", re.compile(r"\bToken [0-9a-f]{40}\b")),
    ("SECRET_KEY literal", re.compile(r"SECRET_KEY\s*[=:]\s*['\"]([^'\"]{16,})['\"]")),
    ("password in a URL", re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:([^/\s@'\"]+)@")),
]
# Matched text (the group when the rule has one) that is a documented placeholder.
ALLOWED = {
    # settings.py: the fallback key used only with DJANGO_DEBUG (startup fails without
    # SECRET_KEY otherwise).
    "insecure-development-key-only-used-with-DJANGO_DEBUG",
    # README.md, settings.py: example DATABASE_URLs.
    "pass",
    "password",
    "secret",
    # docs/operations.md: a shell variable, expanded where the command runs.
    "${PGPASSWORD}",
    # k8s/secret.example.yaml.
    PLACEHOLDER,
}
# Files whose names say they hold keys or environments; none may be tracked.
SECRET_FILE = re.compile(r"(^|/)(\.env(\..*)?|id_(rsa|dsa|ecdsa|ed25519)|.*\.(pem|key|p12|pfx))$")


def tracked_files() -> list[str]:
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True, timeout=30
    )
    return [name for name in listing.stdout.decode().split("\0") if name]


def findings(path: str, text: str) -> Iterator[str]:
    for name, rule in RULES:
        for match in rule.finditer(text):
            value = match.group(match.lastindex or 0)
            if value not in ALLOWED:
                line = text.count("\n", 0, match.start()) + 1
                yield f"{path}:{line}: {name}"


def test_no_tracked_file_holds_a_secret():
    files = tracked_files()
    problems = []
    for path in files:
        if SECRET_FILE.search(path):
            problems.append(f"{path}: a key or environment file")
            continue
        data = (Path(REPO) / path).read_bytes()
        if b"\0" not in data:  # binary files hold no text secrets
            problems.extend(findings(path, data.decode("utf-8", errors="replace")))

    assert len(files) > 100
    assert problems == []


# Split with "+" so that this file does not hold what it tests for.
@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("-----BEGIN OPENSSH PRIVATE" + " KEY-----", "private key"),
        ("aws_access_key_id = AKIA" + "IOSFODNN7EXAMPL3", "AWS access key id"),
        ('SECRET_KEY = "' + 'k3x!9vT#q8LmZ2@wR5pY7nB4cF6hJ1dG"', "SECRET_KEY literal"),
        ("SECRET_KEY: '" + "k3x!9vT#q8LmZ2@wR5pY7nB4cF6hJ1dG'", "SECRET_KEY literal"),
        ("postgres://orchestrator:" + "Tr0ub4dor&3@db:5432/x", "password in a URL"),
        ("Authorization: Token " + "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b", "API token"),
    ],
)
def test_each_rule_catches_what_it_is_for(text, rule):
    assert list(findings("example", text)) == [f"example:1: {rule}"]


def test_documented_placeholders_are_not_findings():
    text = "\n".join(
        [
            "DATABASE_URL=postgres://user:pass@host:5432/db",
            'SECRET_KEY = "insecure-development-key-only-used-with-DJANGO_DEBUG"',
            f'  SECRET_KEY: "{PLACEHOLDER}"',
        ]
    )

    assert list(findings("example", text)) == []


def test_kubernetes_secrets_in_the_repository_hold_placeholders_only():
    secrets = [
        (path, document)
        for path in tracked_files()
        if path.startswith("k8s/") and path.endswith(".yaml")
        for document in yaml.safe_load_all((Path(REPO) / path).read_text())
        if document and document.get("kind") == "Secret"
    ]

    assert [path for path, _ in secrets] == ["k8s/secret.example.yaml"] * 2
    for _, secret in secrets:
        values = {**secret.get("data", {}), **secret.get("stringData", {})}
        assert values
        assert all(PLACEHOLDER in value for value in values.values()), values
