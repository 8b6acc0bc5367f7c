"""Render the real upstream charts with our values, when their archives are available locally.

The build machines of this project cannot reach the chart repositories, so these tests skip there with
a message; CI runners with internet run `make helm-pull-charts` first (archives land in .tools/charts)
and then the same tests check every rendered Airflow / Spark Operator pod for real.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from helmlib import ROOT, VALUES, kube_version, read_pins, run_helm
from overlay import airflow_overlay
from test_platform_chart import pod_problems, pod_specs

CHARTS = ROOT / ".tools" / "charts"
ENVS = ("dev", "prod", "kind")


def archive(name: str, version: str) -> Path:
    path = CHARTS / f"{name}-{version}.tgz"
    if not path.exists():
        pytest.skip(
            f"{path} absent (chart repos unreachable here): run `make helm-pull-charts` where they are"
        )
    return path


def render(release: str, chart: Path, namespace: str, files: list[Path]) -> list[dict[str, Any]]:
    args = ["template", release, str(chart), "-n", namespace, "--kube-version", kube_version()]
    for f in files:
        if f.exists():
            args += ["-f", str(f)]
    return [d for d in yaml.safe_load_all(run_helm(*args).stdout) if d]


@pytest.fixture(scope="module", params=ENVS)
def airflow_docs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> list[dict[str, Any]]:
    pins = read_pins()
    chart = archive(pins["AIRFLOW_CHART_NAME"], pins["AIRFLOW_CHART_VERSION"])
    overlay = tmp_path_factory.mktemp("overlay") / "airflow.overlay.yaml"
    overlay.write_text(yaml.safe_dump(airflow_overlay("caec", "0123abcd")))
    env = request.param
    return render(
        "airflow",
        chart,
        "caec-airflow",
        [VALUES / "airflow" / "base.yaml", VALUES / "airflow" / f"{env}.yaml", overlay],
    )


@pytest.fixture(scope="module", params=ENVS)
def spark_docs(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    pins = read_pins()
    chart = archive(pins["SPARK_OPERATOR_CHART_NAME"], pins["SPARK_OPERATOR_CHART_VERSION"])
    env = request.param
    files = [VALUES / "spark-operator" / "base.yaml", VALUES / "spark-operator" / f"{env}.yaml"]
    return render("spark-operator", chart, "spark-operator", files)


def validate_all(docs: list[dict[str, Any]]) -> list[str]:
    errors = []
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, kube_version(), strict=False)
        except kubernetes_validate.ValidationError as e:
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {e.message}")
        except kubernetes_validate.SchemaNotFoundError:
            pass  # CRDs and webhooks' own kinds: not in the core schemas
    return errors


def worker_pod_template(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """The KubernetesExecutor pod template the chart ships in a ConfigMap."""
    for doc in docs:
        if doc["kind"] == "ConfigMap" and "pod_template_file.yaml" in (doc.get("data") or {}):
            return yaml.safe_load(doc["data"]["pod_template_file.yaml"])
    raise AssertionError("no pod_template_file.yaml ConfigMap rendered")


def test_airflow_renders_valid_objects(airflow_docs: list[dict[str, Any]]) -> None:
    assert validate_all(airflow_docs) == []


def test_airflow_pods_are_restricted_and_sized(airflow_docs: list[dict[str, Any]]) -> None:
    airflow_pods = [
        (d["metadata"]["name"], s)
        for d in airflow_docs
        for s in pod_specs(d)
        if (d["spec"].get("template", {}).get("metadata", {}).get("labels", {}) or {}).get("tier")
        == "airflow"
    ]
    assert airflow_pods
    problems = [f"{name}: {p}" for name, spec in airflow_pods for p in pod_problems(spec)]
    assert problems == []
    assert {spec.get("serviceAccountName") for _, spec in airflow_pods} == {"caec-airflow"}


def test_airflow_task_pods_get_the_pipeline_config(airflow_docs: list[dict[str, Any]]) -> None:
    pod = worker_pod_template(airflow_docs)
    spec = pod["spec"]
    assert spec["serviceAccountName"] == "caec-airflow"
    assert spec["priorityClassName"] == "caec-pipeline"
    base = spec["containers"][0]
    assert {"configMapRef": {"name": "caec-pipeline-config"}} in base.get("envFrom", [])
    assert pod_problems(spec) == []


def test_spark_operator_renders_valid_restricted_objects(spark_docs: list[dict[str, Any]]) -> None:
    assert validate_all(spark_docs) == []
    problems = [p for d in spark_docs for s in pod_specs(d) for p in pod_problems(s)]
    assert problems == []
    bindings = [
        d for d in spark_docs if d["kind"] == "RoleBinding" and d["metadata"].get("namespace") == "caec-jobs"
    ]
    assert any(s["name"] == "caec-spark" for b in bindings for s in b["subjects"])
