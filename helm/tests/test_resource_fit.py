"""Every pod the pipeline creates fits where it must run: LimitRange, ResourceQuota, node pool, runner.

The pods are the real ones: the Airflow release as `make helm-upgrade` renders it (components and the
KubernetesExecutor pod template), and the SparkApplication and dbt pod built by the DAG's own tasks
(`python -m caec_airflow.k8s_operators` in .venv/airflow) from the environment's rendered ConfigMaps.
Spark turns a SparkApplication into pods by fixed rules: CPU request = coreRequest (else cores), CPU
limit = coreLimit, memory request = limit = memory + memoryOverhead. Node capacity: capacity.py.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from capacity import (
    KIND_CONTROL_PLANE_CPU_M,
    KIND_CONTROL_PLANE_MEMORY_MI,
    RUNNER_CPU_M,
    RUNNER_MEMORY_MI,
    Node,
    for_pods,
    gke_allocatable,
    pool_machine_types,
)
from helmlib import ROOT
from test_platform_chart import pod_specs
from upstream import pipeline_objects, rendered_releases

ENVS = ("dev", "prod", "kind")
DAG_FACTORY = ROOT / "airflow" / "src" / "caec_airflow" / "dag_factory.py"


@dataclass(frozen=True)
class Res:
    """CPU in millicores and memory in MiB of requests and limits (None: not set)."""

    cpu: float | None = None
    memory: float | None = None
    cpu_limit: float | None = None
    memory_limit: float | None = None

    def __add__(self, other: Res) -> Res:
        return Res(*(_sum(a, b) for a, b in zip(self.as_tuple(), other.as_tuple(), strict=True)))

    def times(self, n: int) -> Res:
        return Res(*(None if v is None else v * n for v in self.as_tuple()))

    def as_tuple(self) -> tuple[float | None, ...]:
        return (self.cpu, self.memory, self.cpu_limit, self.memory_limit)


def _sum(a: float | None, b: float | None) -> float | None:
    return None if a is None and b is None else (a or 0) + (b or 0)


@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    containers: tuple[Res, ...]
    node_selector: tuple[tuple[str, str], ...] = ()
    init_containers: tuple[Res, ...] = ()


UNITS = {
    "Ki": 1 / 1024,
    "Mi": 1,
    "Gi": 1024,
    "Ti": 1024**2,
    "k": 1e3 / 2**20,
    "M": 1e6 / 2**20,
    "G": 1e9 / 2**20,
}


def cpu_m(quantity: Any) -> float:
    text = str(quantity)
    return float(text[:-1]) if text.endswith("m") else float(text) * 1000


def memory_mi(quantity: Any) -> float:
    text = str(quantity)
    for unit, factor in UNITS.items():
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text) / 2**20


def spark_memory_mi(text: str) -> float:
    """Spark's JVM-style sizes (512m, 4g) are binary: 1g = 1024 MiB."""
    factor = {"k": 1 / 1024, "m": 1, "g": 1024, "t": 1024**2}[text[-1].lower()]
    return float(text[:-1]) * factor


def container_res(resources: dict[str, Any] | None) -> Res:
    requests = (resources or {}).get("requests") or {}
    limits = (resources or {}).get("limits") or {}
    return Res(
        cpu_m(requests["cpu"]) if "cpu" in requests else None,
        memory_mi(requests["memory"]) if "memory" in requests else None,
        cpu_m(limits["cpu"]) if "cpu" in limits else None,
        memory_mi(limits["memory"]) if "memory" in limits else None,
    )


def spark_pod(app: dict[str, Any], role: str) -> Pod:
    """The driver or executor pod Spark creates from the SparkApplication (rules in the module doc)."""
    spec = app["spec"][role]
    assert "memoryOverhead" in spec, f"{role}: set memoryOverhead (Spark's default depends on the job)"
    memory = spark_memory_mi(spec["memory"]) + spark_memory_mi(spec["memoryOverhead"])
    cpu = cpu_m(spec.get("coreRequest") or spec["cores"])
    limit = cpu_m(spec["coreLimit"]) if "coreLimit" in spec else None
    return Pod(
        f"spark-{role}",
        app["metadata"]["namespace"],
        (Res(cpu, memory, limit, memory),),
        tuple(sorted((spec.get("nodeSelector") or {}).items())),
    )


def pod_from_spec(name: str, namespace: str, spec: dict[str, Any]) -> Pod:
    return Pod(
        name,
        namespace,
        tuple(container_res(c.get("resources")) for c in spec["containers"]),
        tuple(sorted((spec.get("nodeSelector") or {}).items())),
        tuple(container_res(c.get("resources")) for c in spec.get("initContainers") or []),
    )


def effective(res: Res, limit_range: dict[str, Any]) -> Res:
    """A container as admitted: LimitRange defaults fill what it leaves unset (a set limit is the request)."""
    default, default_request = limit_range["default"], limit_range["defaultRequest"]
    cpu_limit = res.cpu_limit if res.cpu_limit is not None else cpu_m(default["cpu"])
    memory_limit = res.memory_limit if res.memory_limit is not None else memory_mi(default["memory"])
    cpu = res.cpu if res.cpu is not None else (res.cpu_limit or cpu_m(default_request["cpu"]))
    memory = (
        res.memory if res.memory is not None else (res.memory_limit or memory_mi(default_request["memory"]))
    )
    return Res(cpu, memory, cpu_limit, memory_limit)


def pod_total(pod: Pod, limit_range: dict[str, Any] | None = None) -> Res:
    """The pod's requests/limits as scheduler and quota count them: init containers run one at a time
    before the others, so each resource is max(sum of containers, largest init container)."""

    def admitted(c: Res) -> Res:
        return effective(c, limit_range) if limit_range else c

    total = Res(0, 0, 0, 0)
    for container in pod.containers:
        total = total + admitted(container)
    for init in map(admitted, pod.init_containers):
        total = Res(*(_max(a, b) for a, b in zip(total.as_tuple(), init.as_tuple(), strict=True)))
    return total


def _max(a: float | None, b: float | None) -> float | None:
    return None if a is None and b is None else max(a or 0, b or 0)


# ----------------------------------------------------------------------------------- what is rendered
def limit_range(docs: list[dict[str, Any]], namespace: str) -> dict[str, Any]:
    (lr,) = [d for d in docs if d["kind"] == "LimitRange" and d["metadata"]["namespace"] == namespace]
    (container,) = [lim for lim in lr["spec"]["limits"] if lim["type"] == "Container"]
    return dict(container)


def quota(docs: list[dict[str, Any]], namespace: str) -> dict[str, Any]:
    (q,) = [d for d in docs if d["kind"] == "ResourceQuota" and d["metadata"]["namespace"] == namespace]
    return dict(q["spec"]["hard"])


def replicas(doc: dict[str, Any]) -> int:
    return int(doc["spec"].get("replicas", 1)) if doc["kind"] in {"Deployment", "StatefulSet"} else 1


def release_pods(docs: list[dict[str, Any]], namespace: str) -> list[Pod]:
    """Every pod a release runs (one per replica); Helm test hooks excluded (they run on demand)."""
    pods = []
    for doc in docs:
        if "helm.sh/hook" in (doc["metadata"].get("annotations") or {}):
            continue
        for spec in pod_specs(doc):
            ns = doc["metadata"].get("namespace") or namespace
            pods += [pod_from_spec(doc["metadata"]["name"], ns, spec)] * replicas(doc)
    return pods


def worker_pod(docs: list[dict[str, Any]], namespace: str) -> Pod:
    for doc in docs:
        if doc["kind"] == "ConfigMap" and "pod_template_file.yaml" in (doc.get("data") or {}):
            return pod_from_spec(
                "airflow-task", namespace, yaml.safe_load(doc["data"]["pod_template_file.yaml"])["spec"]
            )
    raise AssertionError("no KubernetesExecutor pod template rendered")


def max_active_runs() -> int:
    """The DAG's concurrent runs in kubernetes mode (MAX_ACTIVE_RUNS in dag_factory.py)."""
    found = re.search(r"^MAX_ACTIVE_RUNS\s*=\s*(\{.*?\})", DAG_FACTORY.read_text(), re.M)
    assert found, f"MAX_ACTIVE_RUNS not found in {DAG_FACTORY}"
    return int(ast.literal_eval(found.group(1))["kubernetes"])


@dataclass(frozen=True)
class EnvPods:
    driver: Pod
    executor: Pod
    dbt: Pod
    airflow: list[Pod]
    worker: Pod
    operator: list[Pod]
    jobs_limits: dict[str, Any]
    airflow_limits: dict[str, Any]
    jobs_quota: dict[str, Any]
    airflow_quota: dict[str, Any]
    min_executors: int
    max_executors: int
    spark_selector: tuple[tuple[str, str], ...]


@functools.cache
def env_pods(env: str) -> EnvPods:
    releases = rendered_releases(env)
    platform = releases["caec-platform"]
    objects = pipeline_objects(env)
    app, dbt = objects["SparkApplication"], objects["Pod"]
    cm = next(
        d for d in platform if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "caec-pipeline-config"
    )
    jobs_ns, airflow_ns = cm["data"]["CAEC_JOBS_NAMESPACE"], cm["metadata"]["namespace"]
    selector = yaml.safe_load(cm["data"]["CAEC_SPARK_NODE_SELECTOR"] or "{}")
    allocation = app["spec"]["dynamicAllocation"]
    return EnvPods(
        driver=spark_pod(app, "driver"),
        executor=spark_pod(app, "executor"),
        dbt=pod_from_spec("dbt", dbt["metadata"]["namespace"], dbt["spec"]),
        airflow=release_pods(releases["airflow"], airflow_ns),
        worker=worker_pod(releases["airflow"], airflow_ns),
        operator=release_pods(releases["spark-operator"], "spark-operator"),
        jobs_limits=limit_range(platform, jobs_ns),
        airflow_limits=limit_range(platform, airflow_ns),
        jobs_quota=quota(platform, jobs_ns),
        airflow_quota=quota(platform, airflow_ns),
        min_executors=int(allocation["minExecutors"]),
        max_executors=int(allocation["maxExecutors"]),
        spark_selector=tuple(sorted(selector.items())),
    )


# ------------------------------------------------------------------------------------------ the checks
def limit_range_problems(pod: Pod, lr: dict[str, Any]) -> list[str]:
    """What the API server would refuse: a container above `max`, or a request above its limit."""
    problems = []
    for i, raw in enumerate(pod.containers + pod.init_containers):
        c = effective(raw, lr)
        assert (
            c.cpu is not None
            and c.memory is not None
            and c.cpu_limit is not None
            and c.memory_limit is not None
        )
        where = f"{pod.namespace}/{pod.name}[{i}]"
        if c.cpu_limit > cpu_m(lr["max"]["cpu"]) or c.memory_limit > memory_mi(lr["max"]["memory"]):
            problems.append(
                f"{where}: limits {c.cpu_limit:.0f}m/{c.memory_limit:.0f}Mi above max {lr['max']}"
            )
        if c.cpu > c.cpu_limit or c.memory > c.memory_limit:
            problems.append(f"{where}: request above limit")
    return problems


def quota_problems(what: str, total: Res, hard: dict[str, Any], pods: int) -> list[str]:
    checks = [
        ("requests.cpu", total.cpu, cpu_m),
        ("requests.memory", total.memory, memory_mi),
        ("limits.cpu", total.cpu_limit, cpu_m),
        ("limits.memory", total.memory_limit, memory_mi),
    ]
    problems = [
        f"{what}: {key} {value:.0f} > {hard[key]}"
        for key, value, unit in checks
        if value is not None and value > unit(hard[key])
    ]
    if pods > int(hard["pods"]):
        problems.append(f"{what}: {pods} pods > {hard['pods']}")
    return problems


def node_problems(pod: Pod, node: Node) -> list[str]:
    total = pod_total(pod)
    assert total.cpu is not None and total.memory is not None
    if total.cpu > node.cpu_m or total.memory > node.memory_mi:
        return [
            f"{pod.name}: requests {total.cpu:.0f}m/{total.memory:.0f}Mi do not fit a {node.machine_type} node "
            f"({node.cpu_m}m/{node.memory_mi}Mi left for pods)"
        ]
    return []


@pytest.mark.parametrize("env", ENVS)
def test_every_container_fits_its_namespace_limitrange(env: str) -> None:
    p = env_pods(env)
    problems = [
        problem
        for pod in (p.driver, p.executor, p.dbt)
        for problem in limit_range_problems(pod, p.jobs_limits)
    ] + [problem for pod in [*p.airflow, p.worker] for problem in limit_range_problems(pod, p.airflow_limits)]
    assert problems == []


@pytest.mark.parametrize("env", ENVS)
def test_jobs_quota_admits_a_full_run_and_the_dags_concurrent_runs(env: str) -> None:
    """One run at full dynamic allocation; or every concurrent run's driver and initial executors
    plus the (one at a time) dbt pod. Beyond that executors wait for quota, drivers never do."""
    p = env_pods(env)
    driver, executor, dbt = (pod_total(x, p.jobs_limits) for x in (p.driver, p.executor, p.dbt))
    full = driver + executor.times(p.max_executors)
    runs = max_active_runs()
    concurrent = (driver + executor.times(p.min_executors)).times(runs) + dbt
    problems = quota_problems("one full run", full, p.jobs_quota, 1 + p.max_executors)
    problems += quota_problems(
        f"{runs} runs at initial size + dbt", concurrent, p.jobs_quota, runs * (1 + p.min_executors) + 1
    )
    assert problems == []


@pytest.mark.parametrize("env", ENVS)
def test_airflow_quota_admits_the_components_and_the_task_pods(env: str) -> None:
    """Every Airflow pod (replicas, jobs) plus a task pod per concurrent run and two more (dbt_build and a
    gate/publish task): KubernetesExecutor runs each task in its own pod."""
    p = env_pods(env)
    task_pods = max_active_runs() + 2
    total = Res(0, 0, 0, 0)
    for pod in p.airflow:
        total = total + pod_total(pod, p.airflow_limits)
    total = total + pod_total(p.worker, p.airflow_limits).times(task_pods)
    assert quota_problems("airflow", total, p.airflow_quota, len(p.airflow) + task_pods) == []


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_pod_fits_a_node_of_its_pool(env: str) -> None:
    """Spark pods select the Spark pool (Terraform's spark_pool); everything else runs on the system
    pool (the Spark pool is tainted). Node room = GKE allocatable minus the DaemonSet budget."""
    p = env_pods(env)
    machines = pool_machine_types(env)
    spark_node, system_node = (
        for_pods(gke_allocatable(machines["spark"])),
        for_pods(gke_allocatable(machines["system"])),
    )
    assert p.driver.node_selector == p.executor.node_selector == p.spark_selector != ()
    problems = node_problems(p.driver, spark_node) + node_problems(p.executor, spark_node)
    for pod in [p.dbt, p.worker, *p.airflow, *p.operator]:
        assert not pod.node_selector or pod.node_selector != p.spark_selector, pod.name
        problems += node_problems(pod, system_node)
    assert problems == []


def test_kind_e2e_fits_one_ci_runner() -> None:
    """The kind e2e on one 4-vCPU, 16 GB runner: the control plane, every Airflow and Spark Operator
    pod, a task pod (scheduler mode) and the Spark driver with all its executors, requested at once.
    Requests are what the kind node's scheduler admits; the node reports the runner's full size."""
    p = env_pods("kind")
    pods = [*p.airflow, *p.operator, p.worker]
    total = Res(KIND_CONTROL_PLANE_CPU_M, KIND_CONTROL_PLANE_MEMORY_MI)
    for pod in pods:
        lr = p.airflow_limits if pod.namespace == "caec-airflow" else None
        total = total + pod_total(pod, lr)
    spark = pod_total(p.driver, p.jobs_limits) + pod_total(p.executor, p.jobs_limits).times(p.max_executors)
    total = total + spark
    assert total.cpu is not None and total.memory is not None
    assert total.cpu <= RUNNER_CPU_M, f"{total.cpu:.0f}m requested on a {RUNNER_CPU_M}m runner"
    assert total.memory <= RUNNER_MEMORY_MI, (
        f"{total.memory:.0f}Mi requested on a {RUNNER_MEMORY_MI}Mi runner"
    )


def test_fit_checks_reject_the_sizes_issue_15_found() -> None:
    """Guards the guard: the old executor (2 cores, 4g + 1g) fails dev's n2-highmem-2 pool and kind's
    4Gi-per-container LimitRange."""
    old: dict[str, Any] = {
        "metadata": {"namespace": "caec-jobs"},
        "spec": {"executor": {"cores": 2, "coreLimit": "2", "memory": "4g", "memoryOverhead": "1g"}},
    }
    executor = spark_pod(old, "executor")
    assert node_problems(executor, for_pods(gke_allocatable("n2-highmem-2")))
    kind_lr = env_pods("kind").jobs_limits
    assert limit_range_problems(executor, kind_lr)


def test_config_maps_reach_the_dag_unchanged() -> None:
    """The sizing the DAG used is the kind values' `spark:` (not SparkSizing's defaults)."""
    values = yaml.safe_load((ROOT / "helm" / "values" / "caec-platform" / "kind.yaml").read_text())["spark"]
    app = pipeline_objects("kind")["SparkApplication"]["spec"]
    assert app["executor"]["coreRequest"] == values["executor"]["coreRequest"]
    assert app["driver"]["memory"] == values["driver"]["memory"]
    assert app["dynamicAllocation"]["maxExecutors"] == values["maxExecutors"]


def test_docs_table_of_gke_allocatable_matches_the_formula() -> None:
    """docs/deployment.md's table is what capacity.py computes (machine, vCPU, GiB, CPU, memory)."""
    text = (ROOT / "docs" / "deployment.md").read_text()
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| (\d+) \| (\d+) \| (\d+)m \| (\d+) MiB \|", text, re.M)
    assert rows, "no GKE allocatable table in docs/deployment.md"
    for machine, _, _, cpu, memory in rows:
        node = gke_allocatable(machine)
        assert (int(cpu), int(memory)) == (node.cpu_m, node.memory_mi), machine
    used = {m for env in ("dev", "prod") for m in pool_machine_types(env).values()}
    assert used <= {row[0] for row in rows}, "every machine type Terraform uses is in the table"
