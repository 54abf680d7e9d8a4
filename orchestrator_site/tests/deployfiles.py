"""Readers for the deployment files the tests check: the Dockerfile, .dockerignore and k8s/."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
K8S = REPO / "k8s"
SECRET_EXAMPLE = K8S / "secret.example.yaml"
# Prometheus Operator resources and the Grafana dashboard, applied apart (they need the
# operator's CRDs); test_monitoring.py checks them.
MONITORING = K8S / "monitoring"


@dataclass(frozen=True)
class Instruction:
    stage: int  # 0 for the first FROM, 1 for the second...
    keyword: str  # upper case: RUN, COPY, ENV...
    value: str  # the rest of the (joined) line


def dockerfile_instructions(path: Path = DOCKERFILE) -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped."""
    instructions: list[Instruction] = []
    stage = -1
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, value = (pending + line).partition(" ")
        pending = ""
        if keyword.upper() == "FROM":
            stage += 1
        instructions.append(Instruction(stage, keyword.upper(), " ".join(value.split())))
    return instructions


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    last = max(i.stage for i in instructions)
    return [i for i in instructions if i.stage == last]


def exec_form(instruction: Instruction) -> list[str]:
    """The JSON array of a CMD/ENTRYPOINT (or of HEALTHCHECK's CMD, options skipped)."""
    value = instruction.value
    if instruction.keyword == "HEALTHCHECK":
        match = re.search(r"(?:^|\s)CMD\s+(\[.*\])$", value)
        assert match, f"HEALTHCHECK without an exec-form CMD: {value}"
        value = match.group(1)
    argv = json.loads(value)
    assert isinstance(argv, list), f"{instruction.keyword} must use the exec (JSON) form"
    return [str(a) for a in argv]


def env_of(instructions: list[Instruction]) -> dict[str, str]:
    """``ENV KEY=VALUE ...`` of the given instructions (no variable expansion)."""
    env: dict[str, str] = {}
    for instruction in instructions:
        if instruction.keyword == "ENV":
            for pair in shlex.split(instruction.value):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def copy_sources(instructions: list[Instruction]) -> list[str]:
    """Build-context paths of every ``COPY`` (not ``COPY --from``: those come from a stage)."""
    sources: list[str] = []
    for instruction in instructions:
        if instruction.keyword != "COPY":
            continue
        args = shlex.split(instruction.value)
        if any(a.startswith("--from") for a in args):
            continue
        args = [a for a in args if not a.startswith("--")]
        sources.extend(args[:-1])
    return sources


def is_dockerignored(path: str, patterns: list[str] | None = None) -> bool:
    """Docker's rule: the last matching pattern wins; ``!`` re-includes; a pattern that
    matches a directory matches everything below it."""
    if patterns is None:
        patterns = [
            line.strip()
            for line in DOCKERIGNORE.read_text().splitlines()
            if line.strip() and not line.strip().startswith("#")
        ]
    parts = Path(path).parts
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        glob = pattern.lstrip("!").rstrip("/")
        globs = [glob, glob.removeprefix("**/")] if glob.startswith("**/") else [glob]
        if any(fnmatch.fnmatchcase(c, g) for c in candidates for g in globs):
            ignored = not negated
    return ignored


def manifest_files() -> list[Path]:
    return sorted(
        p
        for p in K8S.rglob("*.yaml")
        if p.name != "kustomization.yaml" and not p.is_relative_to(MONITORING)
    )


def kustomizations() -> list[Path]:
    return sorted(K8S.rglob("kustomization.yaml"))


def load_documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def manifests() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in manifest_files():
        for doc in load_documents(path):
            yield path, doc


def deployed_manifests() -> Iterator[tuple[Path, dict[str, Any]]]:
    """What ``kubectl apply -k k8s/overlays/dev`` applies (everything but the Secret example;
    the prod overlay leaves out ``overlays/dev/postgres`` too)."""
    return ((p, d) for p, d in manifests() if p != SECRET_EXAMPLE)


def pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    kind = doc["kind"]
    if kind in {"Deployment", "StatefulSet", "Job"}:
        spec: dict[str, Any] = doc["spec"]["template"]["spec"]
        return spec
    if kind == "CronJob":
        spec = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        return spec
    return None


def require_pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    spec = pod_spec(doc)
    assert spec is not None, f"{doc['kind']} {doc['metadata']['name']} has no pod template"
    return spec


def containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = spec.get("initContainers", []) + spec["containers"]
    return found


def one(kind: str, name: str) -> dict[str, Any]:
    found = [d for _, d in manifests() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


_SHELL_SEPARATORS = {";", "&&", "||", "|", "&", "do", "done", "then", "else", "fi"}


def manage_py_calls(argv: list[str]) -> list[list[str]]:
    """Every ``manage.py NAME ARGS...`` in a command line, looking inside ``sh -c`` scripts."""
    if len(argv) >= 3 and argv[0] in {"sh", "bash", "/bin/sh", "/bin/bash"} and argv[1] == "-c":
        return manage_py_calls_in_script(argv[2])
    if "manage.py" in argv:
        return [argv[argv.index("manage.py") + 1 :]]
    return []


def manage_py_calls_in_script(script: str) -> list[list[str]]:
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    tokens = list(lexer)
    calls: list[list[str]] = []
    for index, token in enumerate(tokens):
        if token != "manage.py":
            continue
        call: list[str] = []
        for following in tokens[index + 1 :]:
            if following in _SHELL_SEPARATORS:
                break
            call.append(following)
        calls.append(call)
    return calls
