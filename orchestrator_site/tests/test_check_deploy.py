"""``manage.py check --deploy`` is clean with the production environment."""

from __future__ import annotations

import os
import re
import secrets
import subprocess

from .live_servers import run_manage


def production_env(**overrides: str) -> dict[str, str]:
    """Only what production sets: nothing inherited from the developer's shell."""
    return {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "DJANGO_DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "orchestrator.example.com",
        **overrides,
    }


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_manage("check", "--deploy", "--fail-level", "WARNING", env=env, timeout=120)


def test_check_deploy_finds_nothing_in_production():
    result = check_deploy(production_env())
    output = result.stdout + result.stderr
    warnings = [line for line in output.splitlines() if re.match(r"\S+: \(\w+\.W\d+\)", line)]

    assert warnings == [], output
    assert result.returncode == 0, output
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_on_an_insecure_setting():
    result = check_deploy(production_env(SESSION_COOKIE_SECURE="false", SECRET_KEY="short"))

    assert result.returncode == 1
    assert "security.W012" in result.stderr
    assert "security.W009" in result.stderr
