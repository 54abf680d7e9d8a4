"""The production server end to end, as the image runs it, without a Docker engine.

The environment is the cluster's (the Dockerfile's ENV plus the ConfigMap, a real
SECRET_KEY, the test database); static files come from the Dockerfile's own
collectstatic step; the server is the Dockerfile's CMD (gunicorn with gunicorn.conf.py);
its HEALTHCHECK runs against it. Then one orchestration over HTTP, checked in the rows.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from http.client import HTTPConnection, HTTPResponse
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from conftest import make_project
from orchestration.models import Sprint, Task, TaskStatus
from orchestration.perftest.server import serving
from perfmetrics.models import Run
from perfmetrics.tests.prometheus_support import parse, value

from . import deployfiles
from .deployfiles import REPO
from .live_servers import call, database_url, free_port


def image_env(static_root: Path) -> dict[str, str]:
    """The image's ENV, as the build steps see it (STATIC_ROOT moved to a temporary dir)."""
    env = deployfiles.env_of(deployfiles.final_stage(deployfiles.dockerfile_instructions()))
    env.pop("PATH")  # /opt/venv/bin in the image; this interpreter's bin here
    return {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        **env,
        "STATIC_ROOT": str(static_root),
    }


def cluster_env(static_root: Path, tmp_path: Path, port: int) -> dict[str, str]:
    """What the web container sees: the image's ENV, the ConfigMap, the Deployment's own
    variables (with /tmp, the pod's emptyDir, moved to tmp_path) and the Secret's values."""
    deployment = deployfiles.one("Deployment", "orchestrator")
    web = deployment["spec"]["template"]["spec"]["containers"][0]
    container_env = {
        e["name"]: e["value"].replace("/tmp", str(tmp_path), 1) for e in web["env"] if "value" in e
    }
    return {
        **image_env(static_root),
        **deployfiles.one("ConfigMap", "orchestrator-config")["data"],
        **container_env,
        "POD_IP": "127.0.0.1",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database_url(),
        "PORT": str(port),
    }


def http(
    port: int, method: str, path: str, body: object = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, bytes]:
    answer = call(f"http://127.0.0.1:{port}{path}", method, body=body, headers=headers, timeout=30)
    return answer.status, answer.headers, answer.body


def run_healthcheck(env: dict[str, str]) -> int:
    healthcheck = next(
        i for i in deployfiles.dockerfile_instructions() if i.keyword == "HEALTHCHECK"
    )
    argv = deployfiles.exec_form(healthcheck)
    argv[0] = sys.executable if argv[0] == "python" else argv[0]
    return subprocess.run(argv, env=env, capture_output=True, timeout=30, check=False).returncode


def run_collectstatic_step(env: dict[str, str]) -> None:
    step = next(
        i.value
        for i in deployfiles.final_stage(deployfiles.dockerfile_instructions())
        if i.keyword == "RUN" and "collectstatic" in i.value
    )
    result = subprocess.run(
        ["sh", "-c", step], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """STATIC_ROOT filled by the Dockerfile's collectstatic step (once for this module)."""
    root = tmp_path_factory.mktemp("static")
    run_collectstatic_step(image_env(root))
    return root


@pytest.fixture
def server(
    static_root: Path, tmp_path: Path
) -> Iterator[tuple[int, dict[str, str], subprocess.Popen[bytes]]]:
    """gunicorn started with the image's CMD; always stopped, even when the test fails."""
    port = free_port()
    env = cluster_env(static_root, tmp_path, port)
    # Left over by "the previous container": gunicorn.conf.py must clear it at start.
    metrics_dir = Path(env["PROMETHEUS_MULTIPROC_DIR"])
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"stale samples of an earlier server")
    cmd = next(
        i
        for i in deployfiles.final_stage(deployfiles.dockerfile_instructions())
        if i.keyword == "CMD"
    )
    argv = deployfiles.exec_form(cmd)
    argv[0] = shutil.which(argv[0], path=env["PATH"]) or argv[0]
    with serving(
        argv,
        env=env,
        port=port,
        log=tmp_path / "stdout.log",
        errors=tmp_path / "stderr.log",
        ready_path="/health/ready",
    ) as gunicorn:
        yield port, env, gunicorn.process


def server_logs(tmp_path: Path) -> str:
    return (tmp_path / "stdout.log").read_text() + (tmp_path / "stderr.log").read_text()


@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_an_orchestration_in_production_settings(server, tmp_path):
    port, env, process = server
    user = get_user_model().objects.create_user("smoke", password="unused-password-1")
    token = Token.objects.create(user=user)
    make_project("SMOKE-001", backlog=4)
    body = {"action": "analyze_and_orchestrate"}

    anonymous = http(port, "POST", "/orchestrate/project/SMOKE-001", body)
    # Declared 10 GiB, one byte sent: answered from the headers, before any body arrives.
    oversized = send_raw(
        port,
        b"POST /orchestrate/project/SMOKE-001 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: 10737418240\r\n\r\n{",
    )
    status, headers, content = http(
        port,
        "POST",
        "/orchestrate/project/SMOKE-001",
        body,
        {"Authorization": f"Token {token.key}", "X-Request-ID": "smoke-orchestrate"},
    )

    assert anonymous[0] == 401
    assert oversized[0] == 413
    assert json.loads(oversized[1])["code"] == "payload_too_large"
    assert status == 200, content
    assert headers["X-Request-ID"] == "smoke-orchestrate"
    answer = json.loads(content)
    assert answer["sprint_id"] == "SMOKE-001-S01"
    sprint = Sprint.objects.get(project_id="SMOKE-001")
    assert sprint.sprint_id == "SMOKE-001-S01"
    assert set(Task.objects.filter(sprint=sprint).values_list("status", flat=True)) == {
        TaskStatus.ASSIGNED_TO_SPRINT
    }
    assert Task.objects.filter(sprint=sprint).count() == 4
    assert Run.objects.get(pk=answer["run_id"]).project_id == "SMOKE-001"
    assert run_healthcheck(env) == 0
    metrics = http(port, "GET", "/metrics")
    assert metrics[0] == 200
    runs = {"name": "total_orchestration", "source": "api", "outcome": "success"}
    assert value(parse(metrics[2].decode()), "perfmetrics_runs_total", **runs) == 1

    stop(process)

    assert process.returncode == 0, server_logs(tmp_path)
    assert run_healthcheck(env) != 0
    lines = [json.loads(line) for line in (tmp_path / "stdout.log").read_text().splitlines()]
    access = [line for line in lines if line.get("request_id") == "smoke-orchestrate"]
    assert [(a["logger"], a["method"], a["status"]) for a in access] == [
        ("gunicorn.access", "POST", "200")
    ]
    assert isinstance(access[0]["duration_ms"], float)
    assert "Traceback" not in server_logs(tmp_path)


@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_static_files_with_secure_headers_and_cookies(server, tmp_path):
    port, env, _ = server
    manifest = json.loads((Path(env["STATIC_ROOT"]) / "staticfiles.json").read_text())
    hashed = manifest["paths"]["admin/css/base.css"]
    get_user_model().objects.create_user("staff", password="staff-password-1", is_staff=True)

    status, headers, _ = http(port, "GET", f"/static/{hashed}", None, {"Accept-Encoding": "gzip"})
    _, plain_headers, _ = http(port, "GET", "/health")
    _, https_headers, _ = http(port, "GET", "/health", None, {"X-Forwarded-Proto": "https"})
    login_page = https_request(port, "GET", "/admin/login/")
    login = log_in(port, "staff", "staff-password-1", csrf_cookie(login_page))

    assert hashed != "admin/css/base.css"
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert "immutable" in headers["Cache-Control"]
    assert plain_headers["X-Content-Type-Options"] == "nosniff"
    assert plain_headers["X-Frame-Options"] == "DENY"
    assert plain_headers["Referrer-Policy"] == "same-origin"
    assert plain_headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in plain_headers
    assert https_headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert cookie_attributes(login_page)["csrftoken"] >= {"secure", "samesite=lax"}
    assert login.status == 302, login.headers
    assert cookie_attributes(login)["sessionid"] >= {"secure", "httponly", "samesite=lax"}


def log_in(port: int, username: str, password: str, csrf: str) -> HTTPResponse:
    """The admin login form posted over (forwarded) HTTPS, as a browser sends it."""
    form = f"username={username}&password={password}&csrfmiddlewaretoken={csrf}"
    return https_request(
        port,
        "POST",
        "/admin/login/",
        form.encode(),
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf}",
            "Referer": f"https://127.0.0.1:{port}/admin/login/",
        },
    )


def csrf_cookie(response: HTTPResponse) -> str:
    header = next(h for h in response.headers.get_all("Set-Cookie") or [] if "csrftoken=" in h)
    return header.split("csrftoken=")[1].split(";")[0]


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)


def send_raw(port: int, request: bytes) -> tuple[int, bytes]:
    """Send ``request`` as is and read the answer's status and body; a server still
    waiting for more of the request makes this fail with a timeout."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        response = HTTPResponse(connection)
        response.begin()
        return response.status, response.read()


def https_request(
    port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> HTTPResponse:
    """A request as the ingress forwards an HTTPS one; redirects are not followed."""
    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, path, body, {"X-Forwarded-Proto": "https", **(headers or {})})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def cookie_attributes(response: HTTPResponse) -> dict[str, set[str]]:
    """Each Set-Cookie's name and its attributes, lower case, values dropped but SameSite's."""
    cookies = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        pair, *attributes = (part.strip().lower() for part in header.split(";"))
        cookies[pair.split("=")[0]] = {
            a if a.startswith("samesite=") else a.split("=")[0] for a in attributes
        }
    return cookies
