"""Values for the upstream charts (Airflow, Spark Operator), checked offline against their own schemas.

The upstream charts cannot be downloaded on the build machines, so we validate what we control: our
values files, merged the way helm merges them, against the Airflow chart's values.schema.json and the
Spark Operator chart's values.yaml keys (both copied into ../shared/schemas).
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
import yaml
from helmlib import (
    ENVS,
    ROOT,
    SHARED,
    VALUES,
    load_yaml,
    lock_versions,
    merge_values,
    read_pins,
    upstream_values,
)
from overlay import airflow_overlay

AIRFLOW_SCHEMA = SHARED / "schemas" / "airflow-chart" / "values.schema.json"
SPARK_CHART_VALUES = SHARED / "schemas" / "spark-operator" / "chart-values.yaml"
AIRFLOW_COMPONENTS = (
    "scheduler",
    "apiServer",
    "dagProcessor",
    "triggerer",
    "workers",
    "migrateDatabaseJob",
    "createUserJob",
)


def overlay() -> dict[str, Any]:
    """What helm/scripts/overlay.py adds for the Airflow release (tests use a fixed repo and tag)."""
    return airflow_overlay("europe-west1-docker.pkg.dev/my-project/caec-dev", "0123abcd")


@pytest.fixture(scope="module")
def airflow_schema() -> dict[str, Any]:
    if not AIRFLOW_SCHEMA.exists():
        pytest.skip(f"{AIRFLOW_SCHEMA} absent: cannot validate Airflow values offline")
    return json.loads(AIRFLOW_SCHEMA.read_text())


@pytest.fixture(scope="module")
def spark_chart_values() -> dict[str, Any]:
    if not SPARK_CHART_VALUES.exists():
        pytest.skip(f"{SPARK_CHART_VALUES} absent: cannot check Spark Operator keys offline")
    return load_yaml(SPARK_CHART_VALUES)


def test_every_env_has_values_files() -> None:
    for chart in ("airflow", "spark-operator"):
        assert {p.stem for p in (VALUES / chart).glob("*.yaml")} == set(ENVS), chart


@pytest.mark.parametrize("env", ENVS)
def test_airflow_values_validate_against_chart_schema(env: str, airflow_schema: dict[str, Any]) -> None:
    values = merge_values(upstream_values("airflow", env), overlay())
    validator = jsonschema.Draft7Validator(airflow_schema)
    errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(values)]
    assert not errors, "\n".join(errors)


def test_airflow_schema_validation_can_fail(airflow_schema: dict[str, Any]) -> None:
    values = upstream_values("airflow", "base")
    values["scheduler"] = {**values["scheduler"], "replicaz": 2}
    assert list(jsonschema.Draft7Validator(airflow_schema).iter_errors(values))


def test_airflow_version_matches_the_airflow_lock() -> None:
    lock = ROOT / "airflow" / "requirements.lock"
    if not lock.exists():
        pytest.skip(f"{lock} absent")
    pinned = lock_versions(lock)["apache-airflow"]
    base = upstream_values("airflow", "base")
    assert base["airflowVersion"] == pinned
    assert base["defaultAirflowTag"] == pinned


@pytest.mark.parametrize("env", ENVS)
def test_airflow_runs_kubernetes_executor_as_the_platform_ksa(env: str) -> None:
    v = upstream_values("airflow", env)
    assert v["executor"] == "KubernetesExecutor"
    assert v["allowPodLaunching"] is True
    assert v["dagProcessor"]["enabled"] is True and v["triggerer"]["enabled"] is True
    assert "webserver" not in v or set(v["webserver"]) == {"defaultUser"}, "Airflow 3 uses apiServer"
    for component in AIRFLOW_COMPONENTS:
        assert v[component]["serviceAccount"] == {"create": False, "name": "caec-airflow"}, component
    assert v["workers"]["kubernetes"]["serviceAccount"] == {"create": False, "name": "caec-airflow"}
    assert v["workers"]["priorityClassName"] == "caec-pipeline"
    # --wait (make helm-upgrade) deadlocks with migration jobs run as post-install hooks.
    assert v["migrateDatabaseJob"]["useHelmHooks"] is False and v["createUserJob"]["useHelmHooks"] is False
    # DAGs are baked into the image.
    assert v["dags"]["gitSync"]["enabled"] is False and v["dags"]["persistence"]["enabled"] is False


@pytest.mark.parametrize("env", ENVS)
def test_airflow_consumes_the_pipeline_configmap(env: str) -> None:
    v = upstream_values("airflow", env)
    env_from = yaml.safe_load(v["extraEnvFrom"])
    assert {"configMapRef": {"name": "caec-pipeline-config"}} in env_from
    assert {"configMapRef": {"name": "caec-airflow-env"}} in env_from
    extra_env = {e["name"]: e for e in yaml.safe_load(v["extraEnv"])}
    assert extra_env["CAEC_IDENTITY_SALT"]["valueFrom"]["secretKeyRef"]["name"] == "caec-pipeline-secrets"


@pytest.mark.parametrize("env", ENVS)
def test_airflow_pods_non_root_no_escalation_with_resources(env: str) -> None:
    v = upstream_values("airflow", env)
    pod = v["securityContexts"]["pod"]
    container = v["securityContexts"]["container"]
    assert pod["runAsNonRoot"] is True and pod["runAsUser"] != 0
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["allowPrivilegeEscalation"] is False and container["capabilities"] == {"drop": ["ALL"]}
    for component in AIRFLOW_COMPONENTS:
        res = v[component]["resources"]
        assert {"cpu", "memory"} <= set(res["requests"]) and {"cpu", "memory"} <= set(res["limits"]), (
            component
        )
        # No component overrides the global security context with a weaker one.
        assert "securityContexts" not in v[component] and "securityContext" not in v[component], component
    for component in ("scheduler", "dagProcessor", "triggerer"):
        assert v[component]["logGroomerSidecar"]["resources"]["limits"], component
    for disabled in ("redis", "flower", "statsd", "pgbouncer"):
        assert v[disabled]["enabled"] is False, disabled


def unknown_keys(values: Any, defaults: Any, path: str = "") -> list[str]:
    """Keys of `values` that the chart's values.yaml does not have (free-form maps are `{}` there)."""
    if not isinstance(values, dict) or not isinstance(defaults, dict) or not defaults:
        return []
    problems = []
    for key, value in values.items():
        where = f"{path}.{key}" if path else key
        if key not in defaults:
            problems.append(where)
        else:
            problems += unknown_keys(value, defaults[key], where)
    return problems


@pytest.mark.parametrize("env", ENVS)
def test_spark_operator_keys_exist_in_the_chart(env: str, spark_chart_values: dict[str, Any]) -> None:
    assert unknown_keys(upstream_values("spark-operator", env), spark_chart_values) == []


def test_spark_operator_key_check_can_fail(spark_chart_values: dict[str, Any]) -> None:
    assert unknown_keys({"sparkJobNamespace": "x", "webhook": {"enabled": True}}, spark_chart_values) == [
        "sparkJobNamespace",
        "webhook.enabled",
    ]


@pytest.mark.parametrize("env", ENVS)
def test_spark_operator_watches_jobs_namespace_with_webhook(env: str) -> None:
    v = upstream_values("spark-operator", env)
    example = load_yaml(VALUES / "caec-platform" / "example.platform.yaml")["platform"]
    assert v["spark"]["jobNamespaces"] == [example["namespaces"]["jobs"]]
    assert v["spark"]["serviceAccount"] == {
        "create": False,
        "name": example["serviceAccounts"]["spark"]["name"],
    }
    assert v["spark"]["rbac"]["create"] is True
    assert v["webhook"]["enable"] is True
    for part in ("controller", "webhook"):
        sc = v[part]["securityContext"]
        assert sc["runAsNonRoot"] is True and sc["allowPrivilegeEscalation"] is False, part
        res = v[part]["resources"]
        assert set(res["requests"]) == {"cpu", "memory"} == set(res["limits"]), part


def test_chart_pins() -> None:
    pins = read_pins()
    assert pins["AIRFLOW_CHART_VERSION"] == "1.22.0"
    assert pins["SPARK_OPERATOR_CHART_VERSION"] == "2.5.2"
