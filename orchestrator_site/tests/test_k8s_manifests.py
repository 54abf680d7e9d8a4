"""k8s/: every manifest valid against the Kubernetes JSON schemas (offline, with the
schemas bundled in kubernetes-validate), and the properties the cluster relies on."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from . import deployfiles
from .deployfiles import K8S, REPO, SECRET_EXAMPLE, containers, one, pod_spec

# The oldest Kubernetes release the manifests target (CronJob timeZone, policy/v1 and
# autoscaling/v2 are all GA there) and the newest the pinned kubernetes-validate ships.
KUBERNETES_VERSIONS = ("1.29.0", "1.37.0")
WEB = {"app.kubernetes.io/name": "orchestrator", "app.kubernetes.io/component": "web"}
WORKER = {"app.kubernetes.io/name": "orchestrator", "app.kubernetes.io/component": "worker"}
OVERLAYS = K8S / "overlays"
POSTGRES = OVERLAYS / "dev" / "postgres"


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("schema validation tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize(
    "path", deployfiles.manifest_files(), ids=lambda p: str(p.relative_to(K8S))
)
def test_every_manifest_matches_the_kubernetes_schema(path, version, no_network):
    documents = deployfiles.load_documents(path)

    assert documents
    for doc in documents:
        # strict: unknown fields (a misspelt key) are errors too.
        kubernetes_validate.validate(doc, version, strict=True)


def test_the_validator_rejects_a_misspelt_field(no_network):
    deployment = one("Deployment", "orchestrator")
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}

    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[0], strict=True)


def listed_resources(kustomization: Path) -> set[Path]:
    """Files a kustomization applies, following directories into their kustomizations."""
    config = yaml.safe_load(kustomization.read_text())
    found: set[Path] = set()
    for entry in config["resources"]:
        target = (kustomization.parent / entry).resolve()
        assert target.exists(), f"{kustomization}: {entry} does not exist"
        if target.is_dir():
            found |= listed_resources(target / "kustomization.yaml")
        else:
            found.add(target)
    return found


def postgres_files() -> set[Path]:
    return {p for p in deployfiles.manifest_files() if POSTGRES in p.parents}


def test_the_dev_overlay_applies_every_manifest_but_the_secret_example():
    applied = listed_resources(OVERLAYS / "dev" / "kustomization.yaml")

    assert applied == set(deployfiles.manifest_files()) - {SECRET_EXAMPLE}


def test_the_prod_overlay_applies_the_base_without_postgresql():
    applied = listed_resources(OVERLAYS / "prod" / "kustomization.yaml")

    assert postgres_files()
    assert applied == set(deployfiles.manifest_files()) - {SECRET_EXAMPLE} - postgres_files()


def test_every_kustomization_uses_the_orchestrator_namespace():
    for kustomization in deployfiles.kustomizations():
        assert yaml.safe_load(kustomization.read_text())["namespace"] == "orchestrator"


def test_namespaced_resources_live_in_the_orchestrator_namespace():
    for path, doc in deployfiles.manifests():
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == "orchestrator", path


def test_the_secret_example_holds_placeholders_only():
    secrets = deployfiles.load_documents(SECRET_EXAMPLE)

    assert {s["kind"] for s in secrets} == {"Secret"}
    for secret in secrets:
        assert "data" not in secret
        for key, value in secret["stringData"].items():
            assert "CHANGE-ME" in value, f"{key} is not a placeholder"


def test_every_secret_a_pod_reads_is_described_by_the_example():
    example = {
        (s["metadata"]["name"], key)
        for s in deployfiles.load_documents(SECRET_EXAMPLE)
        for key in s["stringData"]
    }
    example_names = {name for name, _ in example}
    for path, doc in deployfiles.deployed_manifests():
        spec = pod_spec(doc)
        for container in containers(spec) if spec else []:
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    assert source["secretRef"]["name"] in example_names, path
            for variable in container.get("env", []):
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert (ref["name"], ref["key"]) in example, path


def test_every_pod_is_unprivileged_with_a_read_only_root_filesystem():
    pods = [
        (path, deployfiles.require_pod_spec(doc))
        for path, doc in deployfiles.deployed_manifests()
        if pod_spec(doc)
    ]

    assert len(pods) == 6  # web, worker, migration Job, two CronJobs, PostgreSQL
    for path, spec in pods:
        assert spec["securityContext"]["runAsNonRoot"] is True, path
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", path
        assert spec["automountServiceAccountToken"] is False, path
        mounts_tmp = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
        for container in containers(spec):
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, path
            assert security["readOnlyRootFilesystem"] is True, path
            assert security["capabilities"]["drop"] == ["ALL"], path
            assert {"requests", "limits"} <= set(container["resources"]), path
            tmp = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
            assert tmp, f"{path}: no volume at /tmp"
            assert tmp[0]["name"] in mounts_tmp, f"{path}: /tmp must be an emptyDir"


def test_the_web_deployment_rolls_without_downtime_and_is_probed():
    deployment = one("Deployment", "orchestrator")
    spec = deployment["spec"]
    web = spec["template"]["spec"]["containers"][0]

    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert spec["selector"]["matchLabels"] == WEB
    assert web["startupProbe"]["httpGet"]["path"] == "/health/ready"
    assert web["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert web["livenessProbe"]["httpGet"]["path"] == "/health"
    refs = [s.get("configMapRef", s.get("secretRef"))["name"] for s in web["envFrom"]]
    assert refs == ["orchestrator-config", "orchestrator-secrets"]
    assert "command" not in web, "the web container runs the image's CMD (gunicorn)"
    env = {e["name"]: e.get("value") for e in web["env"]}
    assert env["PROMETHEUS_MULTIPROC_DIR"].startswith("/tmp/"), "in the writable emptyDir"


def test_two_replicas_at_least_and_one_always_available():
    deployment = one("Deployment", "orchestrator")
    hpa = one("HorizontalPodAutoscaler", "orchestrator")
    pdb = one("PodDisruptionBudget", "orchestrator")

    # The HPA owns the count (see deployment.yaml); it never goes below two.
    assert "replicas" not in deployment["spec"]
    assert hpa["spec"]["minReplicas"] >= 2
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "orchestrator",
    }
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    assert pdb["spec"]["selector"]["matchLabels"] == WEB
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]


def test_one_port_from_configmap_to_service_probes_policy_and_scrape():
    config = one("ConfigMap", "orchestrator-config")["data"]
    template = one("Deployment", "orchestrator")["spec"]["template"]
    service = one("Service", "orchestrator")["spec"]
    policy = one("NetworkPolicy", "orchestrator")["spec"]
    port = template["spec"]["containers"][0]["ports"][0]

    assert port == {"name": "http", "containerPort": int(config["PORT"])}
    assert service["selector"] == WEB
    assert service["ports"][0]["targetPort"] == "http"
    assert policy["ingress"][0]["ports"] == [{"protocol": "TCP", "port": port["containerPort"]}]
    assert template["metadata"]["annotations"] == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": config["PORT"],
        "prometheus.io/path": "/metrics",
    }


def test_the_network_policy_lets_out_only_postgresql_and_dns():
    policy = one("NetworkPolicy", "orchestrator")["spec"]
    ports = sorted((p["protocol"], p["port"]) for rule in policy["egress"] for p in rule["ports"])

    assert policy["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "orchestrator"}
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert ports == [("TCP", 53), ("TCP", 5432), ("UDP", 53)]


def test_every_configmap_key_is_read_by_the_service():
    sources = (REPO / "orchestrator_site" / "settings.py").read_text() + (
        REPO / "gunicorn.conf.py"
    ).read_text()
    manifests = "".join(p.read_text() for p in (REPO / "k8s").rglob("*.yaml"))

    for key in one("ConfigMap", "orchestrator-config")["data"]:
        read = re.search(rf"['\"]{key}['\"]", sources) or f"$({key})" in manifests
        assert read, f"{key} is read nowhere"


def test_cronjobs_never_overlap_and_run_management_commands():
    cronjobs = [doc for _, doc in deployfiles.deployed_manifests() if doc["kind"] == "CronJob"]
    commands = {
        doc["metadata"]["name"]: deployfiles.require_pod_spec(doc)["containers"][0]["command"]
        for doc in cronjobs
    }

    assert {doc["spec"]["concurrencyPolicy"] for doc in cronjobs} == {"Forbid"}
    # The daily scrum is no CronJob: each sprint's schedule fires in the workers.
    assert commands == {
        "orchestrator-perftest": [
            "python",
            "manage.py",
            "perftest",
            "--project",
            "$(PERFTEST_PROJECT)",
            "--compare",
            "latest-passing",
            "--json",
            "/tmp/perftest.json",
        ],
        "orchestrator-prune-perfmetrics": [
            "python",
            "manage.py",
            "prune_perfmetrics",
            "--older-than",
            "30d",
        ],
    }


def test_the_migration_job_migrates_and_the_web_pods_wait_for_it():
    job = one("Job", "orchestrator-migrate")
    init = one("Deployment", "orchestrator")["spec"]["template"]["spec"]["initContainers"]

    assert deployfiles.require_pod_spec(job)["containers"][0]["command"] == [
        "python",
        "manage.py",
        "migrate",
        "--no-input",
    ]
    assert deployfiles.manage_py_calls(init[0]["command"]) == [["migrate", "--check"]]


def test_postgresql_keeps_its_data_on_a_persistent_volume():
    statefulset = one("StatefulSet", "postgres")
    service = one("Service", "postgres")
    claim = statefulset["spec"]["volumeClaimTemplates"][0]
    mounts = statefulset["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]

    assert service["spec"]["clusterIP"] == "None"
    assert statefulset["spec"]["serviceName"] == service["metadata"]["name"]
    assert {"name": claim["metadata"]["name"], "mountPath": "/var/lib/postgresql/data"} in mounts


def test_the_worker_deployment_runs_procrastinate_workers_probed_and_autoscaled():
    deployment = one("Deployment", "orchestrator-worker")
    hpa = one("HorizontalPodAutoscaler", "orchestrator-worker")
    spec = deployment["spec"]
    worker = spec["template"]["spec"]["containers"][0]
    health = ["python", "manage.py", "procrastinate", "healthchecks"]

    assert deployfiles.manage_py_calls(worker["command"])[0][:2] == ["procrastinate", "worker"]
    assert spec["selector"]["matchLabels"] == WORKER
    assert "replicas" not in spec
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert worker[probe]["exec"]["command"] == health, probe
    assert {"requests", "limits"} <= set(worker["resources"])
    refs = [s.get("configMapRef", s.get("secretRef"))["name"] for s in worker["envFrom"]]
    assert refs == ["orchestrator-config", "orchestrator-secrets"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "orchestrator-worker"
    assert hpa["spec"]["minReplicas"] >= 2


def test_every_resource_and_pod_carries_the_recommended_labels():
    for path, doc in deployfiles.deployed_manifests():
        labels = doc["metadata"].get("labels", {})
        assert labels.get("app.kubernetes.io/name") in {"orchestrator", "postgres"}, path
        spec = pod_spec(doc)
        if spec is not None:
            template = (
                doc["spec"]["jobTemplate"]["spec"]["template"]
                if doc["kind"] == "CronJob"
                else doc["spec"]["template"]
            )
            assert "app.kubernetes.io/component" in template["metadata"]["labels"], path


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_kubectl_renders_each_overlay_into_valid_resources(overlay, no_network):
    # `kubectl kustomize` is offline: it renders what `kubectl apply -k` would send.
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(OVERLAYS / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    documents = [doc for doc in yaml.safe_load_all(rendered) if doc]
    expected = {
        (doc["kind"], doc["metadata"]["name"])
        for path, doc in deployfiles.deployed_manifests()
        if overlay == "dev" or POSTGRES not in path.parents
    }

    assert {(doc["kind"], doc["metadata"]["name"]) for doc in documents} == expected
    for doc in documents:
        kubernetes_validate.validate(doc, KUBERNETES_VERSIONS[0], strict=True)
        spec = pod_spec(doc)
        for container in containers(spec) if spec else []:
            assert container["image"] in {
                "registry.example.com/project-orchestrator:1.0.0",
                "postgres:16-bookworm",
            }
        assert doc["metadata"]["labels"]["app.kubernetes.io/instance"] == f"orchestrator-{overlay}"


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_the_pods_record_the_image_tag_as_their_release(overlay, no_network):
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(OVERLAYS / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    deployments = {
        doc["metadata"]["name"]: doc
        for doc in yaml.safe_load_all(rendered)
        if doc and doc["kind"] == "Deployment"
    }
    for name, container in (("orchestrator", "web"), ("orchestrator-worker", "worker")):
        pod = deployments[name]["spec"]["template"]["spec"]
        (chosen,) = (c for c in pod["containers"] if c["name"] == container)
        assert {"name": "APP_RELEASE", "value": chosen["image"].rsplit(":", 1)[1]} in chosen["env"]
