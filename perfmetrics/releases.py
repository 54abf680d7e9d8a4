"""The release a process runs under, recorded on every run (docs/design.md §5, "Releases").

Deployments name it (``APP_RELEASE``, the image tag in Kubernetes); a development
checkout falls back to ``git describe``; anything else is ``unknown``, the value the
migration gave the runs recorded before releases were.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

UNKNOWN = "unknown"
MAX_LENGTH = 64
# What a release may contain: image tags and `git describe` output both fit.
_UNSAFE = re.compile(r"[^A-Za-z0-9_.:+-]")


def clean_release(value: str) -> str:
    """A release name that fits the column: unsafe characters dropped, at most 64."""
    return _UNSAFE.sub("", value.strip())[:MAX_LENGTH] or UNKNOWN


def git_release(directory: Path) -> str | None:
    """``git describe --tags --always --dirty`` of a checkout, or None outside one (or
    without git). Called once at start-up, never on the request path."""
    try:
        completed = subprocess.run(
            ["git", "describe", "--tags", "--always", "--dirty"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if completed.returncode != 0 or not completed.stdout.strip():
        return None
    return clean_release(completed.stdout)


def detect_release(configured: str, *, checkout: Path | None = None) -> str:
    """The configured release when set, else the checkout's ``git describe``, else unknown."""
    if configured.strip():
        return clean_release(configured)
    if checkout is not None:
        return git_release(checkout) or UNKNOWN
    return UNKNOWN
