"""The Kubernetes manifests, as CI sees them: every kustomize variant renders, validates
offline against the Kubernetes schemas, and every workload keeps the security and operability
rules (probes, requests and limits, non-root, read-only root, no privilege) of docs/deploy.md."""

import functools
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.auth.settings import AuthSettings
from services.datasets.settings import DatasetsSettings
from services.gateway.settings import GatewaySettings
from services.inference.settings import InferenceSettings
from services.tasks.settings import TasksSettings
from services.tasks.worker.consumer import DURABLE, WORK_STREAM
from services.tasks.worker.settings import WorkerSettings
from tests.support.metric_names import METRICS

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "k8s"
KUBECTL = shutil.which("kubectl")
VALIDATE = shutil.which("kubernetes-validate") or str(
    Path(sys.executable).parent / "kubernetes-validate"
)
OVERLAYS = ("dev", "prod")
WORKLOADS = ("Deployment", "StatefulSet", "Job")
IMAGE = "ghcr.io/inferlane/inferlane"

# Each process of services/ and the module its Deployment runs: one name for the manifest file,
# the Deployment, its Service and its ServiceAccount.
PROCESSES = {
    "gateway": "services.gateway",
    "auth": "services.auth",
    "datasets": "services.datasets",
    "tasks": "services.tasks",
    "tasks-worker": "services.tasks.worker",
    "inference": "services.inference",
}

# kubernetes-validate ships the core API schemas only; for these custom resources it has none
# (it prints a WARN and passes them). They are skipped there, exactly these kinds, and checked
# by the structural tests below instead.
NO_SCHEMA = {
    ("keda.sh/v1alpha1", "ScaledObject"): "KEDA CRD: no schema shipped offline",
    ("postgresql.cnpg.io/v1", "Cluster"): "CloudNativePG CRD: no schema shipped offline",
    ("postgresql.cnpg.io/v1", "ScheduledBackup"): "CloudNativePG CRD: no schema shipped offline",
    ("barmancloud.cnpg.io/v1", "ObjectStore"): "Barman Cloud plugin CRD: no schema shipped",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "Prometheus operator CRD: no schema shipped",
    ("monitoring.coreos.com/v1", "PodMonitor"): "Prometheus operator CRD: no schema shipped",
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "Prometheus operator CRD: no schema shipped",
}

ALERT_ONLY_METRICS = {
    "up",
    "kube_deployment_status_replicas_available",
    "kube_deployment_spec_replicas",
}

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")


@functools.cache
def render(path: str) -> str:
    result = subprocess.run(
        [KUBECTL, "kustomize", str(K8S / path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def resources(path: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(render(path)) if doc]


def of_kind(path: str, kind: str) -> dict[str, dict[str, Any]]:
    return {r["metadata"]["name"]: r for r in resources(path) if r["kind"] == kind}


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def workloads(path: str) -> list[dict[str, Any]]:
    return [r for r in resources(path) if r["kind"] in WORKLOADS]


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression: selectors (`name{` / `name[`) and our prefixes."""
    names = set(re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[{\[]", expr))
    names |= set(re.findall(r"\b((?:inferlane|nv)_[a-z0-9_]+)", expr))
    return names - {"by", "without", "on", "ignoring"}


def family(metric: str) -> str:
    """A histogram's _count and _sum belong to the same family as its _bucket."""
    return re.sub(r"_(count|sum)$", "_bucket", metric)


def env_names(settings: type) -> set[str]:
    prefix = settings.model_config.get("env_prefix", "")
    names = set()
    for name, field in settings.model_fields.items():
        alias = field.validation_alias
        names |= set(alias.choices) if alias is not None else {f"{prefix}{name}".upper()}
    return names


# ---- rendering and schemas ---------------------------------------------------------------


@pytest.mark.parametrize("path", [*(f"overlays/{o}" for o in OVERLAYS), "observability"])
def test_variant_validates_strictly_offline(path: str):
    result = subprocess.run(
        [VALIDATE, "--strict", "--quiet", "-"],
        input=render(path),
        capture_output=True,
        text=True,
        check=False,
    )
    lines = (result.stdout + result.stderr).splitlines()
    problems = [line for line in lines if not line.startswith("WARN")]
    assert result.returncode == 0 and not problems, "\n".join(lines)
    skipped = {
        m.groups() for line in lines if (m := re.search(r"kind (\S+) with api version (\S+)", line))
    }
    unexpected = {(api, kind) for kind, api in skipped} - NO_SCHEMA.keys()
    assert not unexpected, f"no schema for {unexpected}: add a schema or a reason to NO_SCHEMA"
    custom = {(r["apiVersion"], r["kind"]) for r in resources(path)} & NO_SCHEMA.keys()
    assert custom == {(api, kind) for kind, api in skipped}, "every CRD kind is reported as skipped"


# ---- every workload ----------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_is_non_root_read_only_unprivileged_and_bounded(overlay: str):
    for workload in workloads(f"overlays/{overlay}"):
        spec = pod_spec(workload)
        where = f"{workload['kind']}/{workload['metadata']['name']}"
        pod = spec.get("securityContext", {})
        assert pod.get("runAsNonRoot") is True, where
        assert pod.get("seccompProfile", {}).get("type") == "RuntimeDefault", where
        for container in spec.get("initContainers", []) + spec["containers"]:
            name = f"{where} container {container['name']}"
            context = container.get("securityContext", {})
            assert context.get("runAsNonRoot", pod.get("runAsNonRoot")) is True, name
            assert context.get("readOnlyRootFilesystem") is True, name
            assert context.get("allowPrivilegeEscalation") is False, name
            assert "ALL" in context.get("capabilities", {}).get("drop", []), name
            assert context.get("privileged") is not True, name
            seccomp = context.get("seccompProfile", pod.get("seccompProfile", {}))
            assert seccomp.get("type") == "RuntimeDefault", name
            resources_ = container.get("resources", {})
            for bound in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    assert resource in resources_.get(bound, {}), f"{name}: {bound}.{resource}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_long_running_container_has_readiness_and_liveness_probes(overlay: str):
    for workload in workloads(f"overlays/{overlay}"):
        if workload["kind"] == "Job":
            continue
        for container in pod_spec(workload)["containers"]:
            name = f"{workload['kind']}/{workload['metadata']['name']} {container['name']}"
            assert "readinessProbe" in container, name
            assert "livenessProbe" in container, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_our_processes_are_probed_through_grpc_health_and_the_gateway_over_http(overlay: str):
    deployments = of_kind(f"overlays/{overlay}", "Deployment")
    for name in PROCESSES:
        container = pod_spec(deployments[name])["containers"][0]
        if name == "gateway":
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        else:
            port = next(p["containerPort"] for p in container["ports"] if p["name"] == "grpc")
            assert container["readinessProbe"]["grpc"]["port"] == port, name
            assert container["livenessProbe"]["grpc"]["port"] == port, name
            # Liveness asks the process, not its dependencies (libs/.../grpc/health.py).
            assert container["livenessProbe"]["grpc"]["service"] == "liveness", name
            assert "service" not in container["readinessProbe"]["grpc"], name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_has_a_service_account_service_and_pdb_of_its_name(overlay: str):
    path = f"overlays/{overlay}"
    services, accounts = of_kind(path, "Service"), of_kind(path, "ServiceAccount")
    budgets = of_kind(path, "PodDisruptionBudget").values()
    for name, deployment in of_kind(path, "Deployment").items():
        spec = pod_spec(deployment)
        assert name in services and name in accounts, name
        assert spec["serviceAccountName"] == name
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert services[name]["spec"]["selector"].items() <= labels.items(), name
        assert any(
            b["spec"]["selector"]["matchLabels"].items() <= labels.items() for b in budgets
        ), f"no PodDisruptionBudget selects {name}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_grpc_services_are_headless_so_clients_balance_over_every_pod(overlay: str):
    """Our gRPC channels use round_robin over what DNS returns (common/grpc/client.py)."""
    services = of_kind(f"overlays/{overlay}", "Service")
    for name in PROCESSES:
        if name != "gateway":
            assert services[name]["spec"].get("clusterIP") == "None", name


def test_each_process_has_its_manifest_deployment_and_command():
    mains = {p.parent for p in (ROOT / "services").rglob("__main__.py")}
    modules = {".".join(p.relative_to(ROOT).parts) for p in mains}
    assert modules == set(PROCESSES.values()), "a new process needs k8s/base/<name>.yaml"
    deployments = of_kind("overlays/dev", "Deployment")
    for name, module in PROCESSES.items():
        assert (K8S / "base" / f"{name}.yaml").is_file(), name
        container = pod_spec(deployments[name])["containers"][0]
        assert container["image"].startswith(f"{IMAGE}:"), name
        assert container["command"] == ["python", "-m", module], name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_secret_values_in_the_manifests(overlay: str):
    docs = resources(f"overlays/{overlay}")
    assert not [r["metadata"]["name"] for r in docs if r["kind"] == "Secret"]
    for workload in workloads(f"overlays/{overlay}"):
        for container in pod_spec(workload)["containers"]:
            for var in container.get("env", []):
                if re.search(r"PASSWORD|SECRET|_KEY$|SIGNING|ACCOUNTS|TOKEN", var["name"]):
                    assert "valueFrom" in var, f"{var['name']} must come from a Secret"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_namespace_denies_by_default_and_allows_dns(overlay: str):
    policies = of_kind(f"overlays/{overlay}", "NetworkPolicy")
    deny = policies["default-deny-all"]["spec"]
    assert deny["podSelector"] == {}
    assert set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert not deny.get("ingress") and not deny.get("egress")
    dns = policies["allow-dns"]["spec"]["egress"][0]["ports"]
    assert {(p["port"], p["protocol"]) for p in dns} == {(53, "UDP"), (53, "TCP")}
    for name in [*PROCESSES, "nats", "triton", "postgres"]:
        assert name in policies, f"no NetworkPolicy for {name}"


def test_the_shared_config_names_only_settings_the_processes_read():
    config = of_kind("overlays/dev", "ConfigMap")["inferlane-config"]["data"]
    classes = (
        AuthSettings,
        DatasetsSettings,
        GatewaySettings,
        InferenceSettings,
        TasksSettings,
        WorkerSettings,
    )
    known = set().union(*(env_names(c) for c in classes))
    composed = {"DATABASE_HOST", "DATABASE_NAME"}  # parts of DATABASE_URL, set per container
    assert set(config) - known - composed == set()


# ---- infrastructure ----------------------------------------------------------------------


@pytest.mark.parametrize(("overlay", "servers"), [("dev", 1), ("prod", 3)])
def test_nats_runs_jetstream_on_volumes_with_sync_always(overlay: str, servers: int):
    path = f"overlays/{overlay}"
    nats = of_kind(path, "StatefulSet")["nats"]
    assert nats["spec"]["replicas"] == servers
    assert nats["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
    configs = [c for n, c in of_kind(path, "ConfigMap").items() if n.startswith("nats-config")]
    conf = configs[0]["data"]["nats.conf"]
    assert re.search(r"^\s*sync_interval:\s*always\s*$", conf, re.M)
    assert len(re.findall(r"nats://nats-\d+\.nats-headless:6222", conf)) == (
        servers if servers > 1 else 0
    )


def test_triton_is_the_pinned_official_image_with_time_to_load_models():
    for overlay in OVERLAYS:
        spec = pod_spec(of_kind(f"overlays/{overlay}", "Deployment")["triton"])
        triton = spec["containers"][0]
        assert re.fullmatch(r"nvcr\.io/nvidia/tritonserver:\d\d\.\d\d-py3", triton["image"])
        startup = triton["startupProbe"]
        assert startup["periodSeconds"] * startup["failureThreshold"] >= 300
        assert {"containerPort": 8002, "name": "metrics"} in triton["ports"]
        assert spec["initContainers"][0]["image"].startswith(f"{IMAGE}:")
    prod = pod_spec(of_kind("overlays/prod", "Deployment")["triton"])
    assert prod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert prod["nodeSelector"] and prod["tolerations"]


def test_prod_triton_runs_the_text_models_on_its_gpu_from_the_gpu_image():
    prod = pod_spec(of_kind("overlays/prod", "Deployment")["triton"])
    assert prod["initContainers"][0]["image"].endswith("-gpu"), "the image with torch"
    assert "--model-config-name=gpu" in prod["containers"][0]["args"][0]
    for model in ("sentiment", "embedding"):
        config = ROOT / "services/inference/model_repository" / model / "configs/gpu.pbtxt"
        assert "KIND_GPU" in config.read_text()


def test_postgres_is_a_statefulset_in_dev_and_a_backed_up_cnpg_cluster_in_prod():
    assert "postgres" in of_kind("overlays/dev", "StatefulSet")
    cluster = of_kind("overlays/prod", "Cluster")["inferlane-db"]
    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
    assert cluster["spec"]["instances"] >= 3
    assert cluster["spec"]["bootstrap"]["initdb"]["secret"]["name"] == "inferlane-database"
    archiver = [p for p in cluster["spec"].get("plugins", []) if p.get("isWALArchiver")]
    assert archiver or "barmanObjectStore" in cluster["spec"].get("backup", {})
    assert of_kind("overlays/prod", "ScheduledBackup")
    host = of_kind("overlays/prod", "ConfigMap")["inferlane-config"]["data"]["DATABASE_HOST"]
    assert host.startswith("inferlane-db-rw:")


def test_migrations_run_as_one_job_per_service_schema():
    jobs = of_kind("overlays/dev", "Job")
    for service in ("auth", "datasets", "tasks"):
        command = pod_spec(jobs[f"migrate-{service}"])["containers"][0]["command"]
        assert command[:5] == ["python", "-m", "inferlane.common.migrate", service, "upgrade"]


def test_prod_autoscales_gateway_and_inference_on_cpu_and_the_worker_on_queue_lag():
    path = "overlays/prod"
    hpas = of_kind(path, "HorizontalPodAutoscaler")
    assert {h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()} >= {"gateway", "inference"}
    scaled = of_kind(path, "ScaledObject")["tasks-worker"]
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    assert scaled["spec"]["scaleTargetRef"]["name"] == "tasks-worker"
    trigger = scaled["spec"]["triggers"][0]
    assert trigger["type"] == "nats-jetstream"
    assert trigger["metadata"]["stream"] == WORK_STREAM
    assert trigger["metadata"]["consumer"] == DURABLE
    deployments = of_kind(path, "Deployment")
    for name in ("gateway", "inference", "tasks-worker"):
        assert "replicas" not in deployments[name]["spec"], f"the autoscaler owns {name}'s count"


# ---- observability -----------------------------------------------------------------------


def test_the_grafana_dashboard_queries_only_known_metrics_and_ships_as_a_configmap():
    file = K8S / "observability" / "inferlane-dashboard.json"
    dashboard = json.loads(file.read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert exprs
    used = {family(m) for e in exprs for m in metric_names(e)}
    assert used - METRICS == set()
    assert METRICS - used == set(), "every listed metric has a panel"
    configmap = of_kind("overlays/prod", "ConfigMap")["grafana-dashboard-inferlane"]
    assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(configmap["data"]["inferlane-dashboard.json"]) == dashboard


def test_alerts_cover_dead_letters_outbox_lag_readiness_and_error_rates():
    rule = of_kind("overlays/prod", "PrometheusRule")["inferlane"]
    alerts = {r["alert"]: r["expr"] for g in rule["spec"]["groups"] for r in g["rules"]}
    for name in (
        "InferlaneDeadLetters",
        "InferlaneOutboxLagHigh",
        "InferlaneDeploymentUnavailable",
        "InferlaneTargetDown",
        "InferlaneGrpcErrorRateHigh",
        "InferlaneHttpErrorRateHigh",
    ):
        assert name in alerts
    used = {family(m) for e in alerts.values() for m in metric_names(e)}
    assert used - METRICS - ALERT_ONLY_METRICS == set()
    monitors = of_kind("overlays/prod", "PodMonitor")
    ports = {e["port"] for m in monitors.values() for e in m["spec"]["podMetricsEndpoints"]}
    assert ports == {"metrics", "http"}
