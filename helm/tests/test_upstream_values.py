"""Our values files, key by key, against the charts they configure (read from the chart archives).

Every key path of every values file (and of the files merged the way helm merges them) must exist in
the chart's values.yaml, and the merged values must pass the chart's own values.schema.json. Both come
from the packaged chart (../shared/charts or .tools/charts, see upstream.py), never from an older copy:
../shared/schemas/airflow-chart still accepts keys the chart removed. A key a chart reads without
documenting it is allowed only in UNDOCUMENTED with the reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from caec_locks import lock_versions
from helmlib import (
    CHART,
    ENVS,
    ROOT,
    VALUES,
    load_yaml,
    merge_values,
    read_pins,
    upstream_values,
)
from overlay import airflow_overlay
from upstream import ChartArchive, archive_file, upstream_archives

# Keys a chart reads but its values.yaml does not list: (chart, key path) -> why it is right.
UNDOCUMENTED = {
    ("airflow", "workers.kubernetes.serviceAccount"): (
        "names the task pods' KSA in charts >= 1.21 (PR #64730); the 1.20.0-dev archive reads "
        "workers.serviceAccount instead, which is set too"
    ),
}
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


def chart_archive(chart: str) -> ChartArchive:
    archive = upstream_archives()[chart]
    if archive is None:
        pytest.skip(f"no packaged {chart} chart in ../shared/charts or .tools/charts: cannot check its keys")
    return archive


@pytest.fixture(scope="module")
def airflow_schema() -> dict[str, Any]:
    return json.loads(archive_file(chart_archive("airflow"), "values.schema.json"))


def chart_defaults(chart: str) -> dict[str, Any]:
    """The chart's values.yaml (our own chart: from the repo; upstream ones: from the archive)."""
    if chart == "caec-platform":
        return load_yaml(CHART / "values.yaml")
    archive = chart_archive(chart)
    defaults: dict[str, Any] = yaml.safe_load(archive_file(archive, "values.yaml"))
    if chart == "airflow":
        # The bundled PostgreSQL subchart documents its keys (e.g. primary.resources) in its own file.
        sub = yaml.safe_load(archive_file(archive, "charts/postgresql/values.yaml"))
        defaults["postgresql"] = merge_values(sub, defaults.get("postgresql") or {})
    return defaults


def values_files(chart: str) -> list[Path]:
    return sorted((VALUES / chart).glob("*.yaml"))


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
    assert "webserver" not in v, "Airflow 3 uses apiServer (and createUserJob.enabled for the user job)"
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
    assert {"configMapRef": {"name": "caec-spark-sizing"}} in env_from
    assert {"configMapRef": {"name": "caec-airflow-env"}} in env_from
    extra_env = {e["name"]: e for e in yaml.safe_load(v["extraEnv"])}
    assert extra_env["CAEC_IDENTITY_SALT"]["valueFrom"]["secretKeyRef"]["name"] == "caec-pipeline-secrets"


@pytest.mark.parametrize("env", ENVS)
def test_airflow_pods_non_root_no_escalation_with_resources(env: str) -> None:
    v = upstream_values("airflow", env)
    pod = v["securityContexts"]["pod"]
    container = v["securityContexts"]["containers"]
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
    """Key paths of `values` that the chart's values.yaml does not have (free-form maps are `{}` there)."""
    if not isinstance(values, dict) or not isinstance(defaults, dict) or not defaults:
        return []
    problems = []
    for key, value in values.items():
        where = f"{path}.{key}" if path else key
        if key not in defaults:
            problems.append(where)
        elif where not in FREE_FORM:
            problems += unknown_keys(value, defaults[key], where)
    return problems


# Maps whose keys the chart passes through without a list of its own: airflow.cfg sections/options
# (Airflow validates those, e.g. auth_manager), checked here only down to the section.
FREE_FORM = {"config.core", "config.logging", "config.kubernetes_executor"}


@pytest.mark.parametrize("chart", ["airflow", "spark-operator", "caec-platform"])
def test_every_values_key_is_documented_by_its_chart(chart: str) -> None:
    """Each values file on its own (so a key set only in kind.yaml is seen) against values.yaml."""
    defaults = chart_defaults(chart)
    problems = {
        f"{path.name}: {key}"
        for path in values_files(chart)
        for key in unknown_keys(load_yaml(path) or {}, defaults)
        if (chart, key) not in UNDOCUMENTED
    }
    assert sorted(problems) == []


def test_undocumented_keys_are_still_read_by_the_chart() -> None:
    """An allowed undocumented key must still be in our values (else drop it from UNDOCUMENTED)."""
    for chart, key in UNDOCUMENTED:
        value: Any = upstream_values(chart, "base")
        for part in key.split("."):
            value = value[part]
        assert value is not None, key


def test_key_check_can_fail() -> None:
    """The findings of issue 15: keys the Airflow chart does not document are reported by path."""
    ours = {
        "securityContexts": {"container": {}},
        "webserver": {"defaultUser": {"enabled": False}},
        "apiServer": {"defaultUser": {"enabled": False}},
        "config": {"core": {"anything": "x"}},
    }
    assert unknown_keys(ours, chart_defaults("airflow")) == [
        "securityContexts.container",
        "webserver.defaultUser",
        "apiServer.defaultUser",
    ]
    assert unknown_keys(
        {"sparkJobNamespace": "x", "webhook": {"enabled": True}}, chart_defaults("spark-operator")
    ) == [
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
