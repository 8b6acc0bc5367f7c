"""All three releases of `make helm-upgrade ENV=<env>` rendered with the real upstream charts.

The charts come from ../shared/charts (packaged upstream releases, beside the clone in CI too) or from
.tools/charts when `make helm-pull-charts` fetched the pinned ones; `pytest_report_header` names the
chart versions rendered. Every object is validated strictly (unknown fields fail) against the
Kubernetes schemas of the version we deploy to.
"""

from __future__ import annotations

import configparser
import copy
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from helmlib import kube_version
from test_platform_chart import pod_problems, pod_specs
from upstream import ChartArchive, parse_upgrades, pipeline_objects, rendered_releases, upstream_archives

ENVS = ("dev", "prod", "kind")
SIMPLE_AUTH = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
FAB_AUTH = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"


@pytest.fixture(scope="session")
def archives() -> dict[str, ChartArchive]:
    found = upstream_archives()
    missing = [name for name, archive in found.items() if archive is None]
    if missing:
        pytest.skip(
            f"no packaged chart for {missing} in ../shared/charts or .tools/charts: cannot render them"
        )
    return {name: archive for name, archive in found.items() if archive is not None}


@pytest.fixture(scope="module", params=ENVS)
def releases(
    request: pytest.FixtureRequest, archives: dict[str, ChartArchive]
) -> dict[str, list[dict[str, Any]]]:
    """Release name -> rendered objects, for one env; a render error fails every test of the env."""
    return rendered_releases(request.param)


def strict_errors(docs: list[dict[str, Any]]) -> list[str]:
    """Every object against the Kubernetes schemas, unknown fields included; no kind is skipped."""
    errors = []
    for doc in docs:
        where = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        try:
            kubernetes_validate.validate(doc, kube_version(), strict=True)
        except kubernetes_validate.ValidationError as e:
            errors.append(f"{where}: {'.'.join(map(str, e.path))}: {e.message}")
        except kubernetes_validate.SchemaNotFoundError as e:
            errors.append(f"{where}: no Kubernetes {kube_version()} schema ({e})")
    return errors


def airflow_cfg(docs: list[dict[str, Any]]) -> configparser.ConfigParser:
    """The airflow.cfg the chart renders into its ConfigMap."""
    (cm,) = [d for d in docs if d["kind"] == "ConfigMap" and "airflow.cfg" in (d.get("data") or {})]
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read_string(cm["data"]["airflow.cfg"])
    return cfg


def worker_pod_template(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """The KubernetesExecutor pod template the chart ships in a ConfigMap."""
    for doc in docs:
        if doc["kind"] == "ConfigMap" and "pod_template_file.yaml" in (doc.get("data") or {}):
            return yaml.safe_load(doc["data"]["pod_template_file.yaml"])
    raise AssertionError("no pod_template_file.yaml ConfigMap rendered")


def test_make_dry_run_is_parsed_into_releases() -> None:
    dry = (
        "echo hi\n/h upgrade --install  caec-platform /c -n caec-airflow \\\n"
        "  --wait -f /a.yaml -f /b.yaml\n/h upgrade --install --kube-context kind-x airflow /x.tgz -n ns -f /c\n"
    )
    (platform, airflow) = parse_upgrades(dry)
    assert (platform.name, platform.chart, platform.namespace, platform.values) == (
        "caec-platform",
        "/c",
        "caec-airflow",
        ("/a.yaml", "/b.yaml"),
    )
    assert (airflow.name, airflow.namespace, airflow.values) == ("airflow", "ns", ("/c",))


def test_every_rendered_object_validates_strictly(releases: dict[str, list[dict[str, Any]]]) -> None:
    for name, docs in releases.items():
        assert docs, name
        assert strict_errors(docs) == [], name


def test_strict_validation_rejects_unknown_fields() -> None:
    """Guards the guard: a misspelt field (which the API server would drop or reject) fails here."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "i", "resourcez": {}}]},
    }
    assert strict_errors([pod]) and "resourcez" in strict_errors([pod])[0]


def test_spark_operator_installs_the_v1beta2_crd(releases: dict[str, list[dict[str, Any]]]) -> None:
    crds = {
        d["metadata"]["name"]: d
        for d in releases["spark-operator"]
        if d["kind"] == "CustomResourceDefinition"
    }
    served = [
        v["name"] for v in crds["sparkapplications.sparkoperator.k8s.io"]["spec"]["versions"] if v["served"]
    ]
    assert served == ["v1beta2"]


def test_airflow_pods_are_restricted_and_sized(releases: dict[str, list[dict[str, Any]]]) -> None:
    """Every pod of the release (PostgreSQL and the jobs too): caec-airflow enforces PodSecurity
    `restricted`, and a pod without resources would get the LimitRange's defaults, not our sizes."""
    docs = releases["airflow"]
    pods = [(d["metadata"]["name"], s) for d in docs for s in pod_specs(d)]
    assert pods
    problems = [f"{name}: {p}" for name, spec in pods for p in pod_problems(spec)]
    assert problems == []
    airflow_pods = [
        spec
        for d in docs
        for spec in pod_specs(d)
        if ((d["spec"].get("template", {}).get("metadata", {}).get("labels") or {}).get("tier")) == "airflow"
    ]
    assert {spec.get("serviceAccountName") for spec in airflow_pods} == {"caec-airflow"}
    assert not [
        d for d in docs if d["kind"] == "ServiceAccount" and "postgresql" not in d["metadata"]["name"]
    ], "caec-platform owns the Airflow KSA"


def test_airflow_task_pods_get_the_pipeline_config(releases: dict[str, list[dict[str, Any]]]) -> None:
    pod = worker_pod_template(releases["airflow"])
    spec = pod["spec"]
    assert spec["serviceAccountName"] == "caec-airflow"
    assert spec["priorityClassName"] == "caec-pipeline"
    base = spec["containers"][0]
    assert {"configMapRef": {"name": "caec-pipeline-config"}} in base.get("envFrom", [])
    assert pod_problems(spec) == []
    assert strict_errors([{"apiVersion": "v1", "kind": "Pod", **pod}]) == []


def test_how_people_log_in(releases: dict[str, list[dict[str, Any]]]) -> None:
    """kind: SimpleAuthManager with every user an admin (a throwaway cluster reached by port-forward);
    dev/prod: the chart's FabAuthManager and no default user: named users are created by an admin
    (docs/deployment.md). Setting `simple_auth_manager_*` while FAB is the auth manager does nothing."""
    docs = releases["airflow"]
    core = airflow_cfg(docs)["core"]
    env = next(d for d in releases["caec-platform"] if d["metadata"]["name"] == "caec-pipeline-config")[
        "data"
    ]["CAEC_ENV"]
    jobs = [d["metadata"]["name"] for d in docs if d["kind"] == "Job"]
    assert not [j for j in jobs if "create-user" in j], "no default user with a password in values"
    if env == "kind":
        assert core["auth_manager"] == SIMPLE_AUTH
        assert core["simple_auth_manager_all_admins"] == "True"
    else:
        assert core["auth_manager"] == FAB_AUTH
        assert not any(k.startswith("simple_auth_manager") for k in core)


def test_spark_operator_renders_restricted_objects(releases: dict[str, list[dict[str, Any]]]) -> None:
    docs = releases["spark-operator"]
    problems = [p for d in docs for s in pod_specs(d) for p in pod_problems(s)]
    assert problems == []
    bindings = [
        d for d in docs if d["kind"] == "RoleBinding" and d["metadata"].get("namespace") == "caec-jobs"
    ]
    assert any(s["name"] == "caec-spark" for b in bindings for s in b["subjects"])


def closed(schema: dict[str, Any]) -> dict[str, Any]:
    """A CRD schema where every object with `properties` rejects other keys (as kubectl's strict field
    validation would), except where the CRD itself preserves unknown fields."""
    out = copy.deepcopy(schema)
    stack = [out]
    while stack:
        node = stack.pop()
        if "properties" in node and not node.get("x-kubernetes-preserve-unknown-fields"):
            node.setdefault("additionalProperties", False)
        for value in node.values():
            if isinstance(value, dict):
                stack.append(value)
            elif isinstance(value, list):
                stack.extend(v for v in value if isinstance(v, dict))
    return out


def spark_application_schema(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """The served v1beta2 schema of the SparkApplication CRD this env's Spark Operator release installs."""
    (crd,) = [
        d
        for d in docs
        if d["kind"] == "CustomResourceDefinition"
        and d["metadata"]["name"] == "sparkapplications.sparkoperator.k8s.io"
    ]
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1beta2"]
    return closed(version["schema"]["openAPIV3Schema"])


@pytest.mark.parametrize("env", ENVS)
def test_pipeline_objects_as_the_dag_builds_them_validate_strictly(env: str) -> None:
    """The dbt pod (provider's build_pod_request_obj) against Kubernetes 1.34, the SparkApplication
    against the CRD of the rendered Spark Operator chart, both from this env's ConfigMaps."""
    objects = pipeline_objects(env)
    assert strict_errors([objects["Pod"]]) == []
    schema = spark_application_schema(rendered_releases(env)["spark-operator"])
    errors = [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
        for e in jsonschema.Draft7Validator(schema).iter_errors(objects["SparkApplication"])
    ]
    assert errors == []


def test_closed_crd_schema_rejects_a_misspelt_field(archives: dict[str, ChartArchive]) -> None:
    schema = spark_application_schema(rendered_releases("kind")["spark-operator"])
    app = copy.deepcopy(pipeline_objects("kind")["SparkApplication"])
    app["spec"]["executor"]["coreRequests"] = "1"
    app["spec"]["sparkConf"]["any.spark.key"] = "free-form map: allowed"
    messages = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(app)]
    assert len(messages) == 1 and "coreRequests" in messages[0]


def test_airflow_runs_only_our_image(releases: dict[str, list[dict[str, Any]]]) -> None:
    """Every Airflow container, migrations included, runs caec-airflow (kind loads only our images;
    anything else is a pull from a public registry at install time). PostgreSQL is the one exception."""
    images = {
        c["image"]
        for d in releases["airflow"]
        for s in pod_specs(d)
        for c in [*(s.get("initContainers") or []), *s["containers"]]
        if "postgresql" not in d["metadata"]["name"]
    }
    assert len(images) == 1 and next(iter(images)).rsplit(":", 1)[0].endswith("/caec-airflow"), images
