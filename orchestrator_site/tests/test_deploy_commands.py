"""Every ``manage.py`` command that the Dockerfile and k8s/ run exists and accepts its
arguments, and everything the Dockerfile copies is there."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import get_commands, load_command_class
from django.core.management.base import CommandError

from . import deployfiles


def referenced_calls() -> list[tuple[str, list[str]]]:
    """(where, [command, *args]) for every manage.py call in the Dockerfile and k8s/."""
    calls: list[tuple[str, list[str]]] = []
    for instruction in deployfiles.dockerfile_instructions():
        if instruction.keyword == "RUN":
            for call in deployfiles.manage_py_calls_in_script(instruction.value):
                calls.append(("Dockerfile RUN", call))
        if instruction.keyword in {"CMD", "ENTRYPOINT"}:
            for call in deployfiles.manage_py_calls(deployfiles.exec_form(instruction)):
                calls.append((f"Dockerfile {instruction.keyword}", call))
    for path, doc in deployfiles.manifests():
        spec = deployfiles.pod_spec(doc)
        for container in deployfiles.containers(spec) if spec else []:
            argv = container.get("command", []) + container.get("args", [])
            for call in deployfiles.manage_py_calls(argv):
                calls.append((f"{path.relative_to(deployfiles.REPO)} {container['name']}", call))
    return calls


def test_the_files_run_management_commands():
    names = {call[0] for _, call in referenced_calls()}

    assert {"migrate", "collectstatic", "procrastinate", "perftest"} <= names
    assert "prune_perfmetrics" in names


@pytest.mark.parametrize(
    ("where", "call"),
    referenced_calls(),
    ids=lambda value: value if isinstance(value, str) else " ".join(value),
)
def test_every_referenced_command_exists_and_accepts_its_arguments(where, call):
    name, args = call[0], call[1:]
    commands: dict[str, Any] = get_commands()
    assert name in commands, f"{where}: manage.py {name} is not a management command"

    command = load_command_class(commands[name], name)
    parser = command.create_parser("manage.py", name)
    try:
        parser.parse_args(args)
    except CommandError as error:
        pytest.fail(f"{where}: manage.py {' '.join(call)}: {error}")


def test_a_wrong_argument_is_caught():
    command = load_command_class("django.core", "migrate")
    parser = command.create_parser("manage.py", "migrate")

    with pytest.raises(CommandError):
        parser.parse_args(["--no-such-option"])


def test_the_shell_reader_finds_calls_inside_scripts():
    script = 'until python manage.py migrate --check; do echo "wait"; sleep 5; done'

    assert deployfiles.manage_py_calls(["sh", "-c", script]) == [["migrate", "--check"]]
    assert deployfiles.manage_py_calls(["python", "manage.py", "perftest"]) == [["perftest"]]
