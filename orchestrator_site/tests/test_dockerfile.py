"""Static checks of the Dockerfile and .dockerignore. No Docker engine runs here, so
test_gunicorn_smoke.py also runs the image's collectstatic step, CMD and HEALTHCHECK on
the host."""

from __future__ import annotations

import re

from django.conf import settings

from . import deployfiles
from .deployfiles import REPO, dockerfile_instructions, final_stage

BUILD_TOOLS = re.compile(r"\b(build-essential|gcc|g\+\+|make|libpq-dev|python3-dev)\b")


def test_every_copied_path_exists_and_is_in_the_build_context():
    sources = deployfiles.copy_sources(dockerfile_instructions())

    assert sources
    for source in sources:
        assert (REPO / source).exists(), f"COPY {source}: no such file in the repository"
        assert not deployfiles.is_dockerignored(source), f"COPY {source}: .dockerignore drops it"


def test_the_image_gets_every_local_app_and_its_code():
    sources = {s.rstrip("/") for s in deployfiles.copy_sources(dockerfile_instructions())}
    local_apps = {a for a in settings.INSTALLED_APPS if (REPO / a).is_dir()}
    code_files = [
        p.relative_to(REPO).as_posix()
        for app in local_apps
        for p in (REPO / app).rglob("*.py")
        if "tests" not in p.parts
    ]

    assert local_apps == {"orchestration", "perfmetrics", "orchestrator_site"}
    assert local_apps <= sources
    assert {"manage.py", "gunicorn.conf.py", "requirements.lock"} <= sources
    assert [f for f in code_files if deployfiles.is_dockerignored(f)] == []


def test_dockerignore_keeps_local_state_and_tests_out_of_the_image():
    for path in [
        ".git/config",
        ".venv/bin/python",
        ".pgdata/PG_VERSION",
        "staticfiles/x.css",
        "orchestration/tests/test_orchestrate_api.py",
        "conftest.py",
        ".env",
        "orchestration/__pycache__/models.cpython-312.pyc",
        "k8s/deployment.yaml",
    ]:
        assert deployfiles.is_dockerignored(path), path


def test_the_final_stage_is_slim_non_root_and_without_build_tools():
    instructions = dockerfile_instructions()
    runtime = final_stage(instructions)
    from_lines = [i.value for i in instructions if i.keyword == "FROM"]
    base = re.search(r"ARG PYTHON_IMAGE=(\S+)", deployfiles.DOCKERFILE.read_text())

    assert len(from_lines) >= 2, "multi-stage: a builder and a runtime stage"
    assert base
    assert re.fullmatch(r"python:3\.1[1-3]-slim(-bookworm)?", base.group(1))
    assert from_lines[-1].startswith("${PYTHON_IMAGE}")
    assert not [i.value for i in runtime if i.keyword == "RUN" and BUILD_TOOLS.search(i.value)]
    assert any(BUILD_TOOLS.search(i.value) for i in instructions if i.stage == 0)
    users = [i.value for i in runtime if i.keyword == "USER"]
    assert users
    assert users[-1].split(":")[0] not in {"0", "root"}
    assert runtime.index(next(i for i in runtime if i.keyword == "USER")) > max(
        runtime.index(i) for i in runtime if i.keyword in {"RUN", "COPY"}
    ), "USER comes after every RUN and COPY, so the app runs unprivileged"


def test_the_image_builds_static_files_and_does_not_migrate():
    runtime = final_stage(dockerfile_instructions())
    runs = [i.value for i in runtime if i.keyword == "RUN"]
    cmd = next(i for i in runtime if i.keyword == "CMD")
    entrypoints = [i for i in runtime if i.keyword == "ENTRYPOINT"]

    assert any("manage.py collectstatic --no-input" in r for r in runs)
    assert deployfiles.env_of(runtime)["STATIC_MANIFEST"] == "true"
    assert deployfiles.exec_form(cmd)[:3] == ["gunicorn", "--config", "gunicorn.conf.py"]
    assert entrypoints == []
    for run in runs:
        assert "migrate" not in run


def test_the_healthcheck_asks_health_with_python_only():
    healthcheck = next(i for i in dockerfile_instructions() if i.keyword == "HEALTHCHECK")
    argv = deployfiles.exec_form(healthcheck)

    assert argv[0] == "python"
    assert "urllib.request" in argv[-1]
    assert "/health'" in argv[-1]
    assert "curl" not in healthcheck.value


def test_the_dockerignore_reader_follows_dockers_rules():
    patterns = ["*", "!orchestration/", "**/tests/"]

    assert deployfiles.is_dockerignored("README.md", patterns)
    assert not deployfiles.is_dockerignored("orchestration/models.py", patterns)
    assert deployfiles.is_dockerignored("orchestration/tests/test_x.py", patterns)
    assert deployfiles.is_dockerignored("tests/test_x.py", patterns)
