"""The SparkApplication rendered for a logical date: valid v1beta2, with our names, sizes and GCS setup."""

from __future__ import annotations

import re
import tarfile
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import DEV_SPARK_POOL, GKE_ENV, KIND_ENV, REPO_ROOT, run_context

from caec_airflow.spark_app import (
    SALT_SECRET_NAME,
    SIZING_ENV_VAR,
    SPARK_MAIN_FILE,
    SPARK_VERSION,
    SparkSizing,
    sizing_from_env,
    spark_application,
)
from caec_pipeline.config import PipelineConfig
from caec_pipeline.steps import sessionize_args
from caec_pipeline.window import DayWindow

# The CRD inside the packaged Spark Operator chart at the version we pin (helm/charts.env), from
# ../shared/charts beside the repository (CI lays shared/ there too).
SHARED_CHARTS = REPO_ROOT.parent / "shared" / "charts"
CRD_MEMBER = "spark-operator/crds/sparkoperator.k8s.io_sparkapplications.yaml"
DAY, NEXT = date(2026, 11, 2), date(2026, 11, 3)
PLACEMENT_VARS = ("CAEC_SPARK_NODE_SELECTOR", "CAEC_SPARK_TOLERATIONS")


def gke() -> PipelineConfig:
    return PipelineConfig.from_env(GKE_ENV, repo_root=REPO_ROOT)


def render(cfg: PipelineConfig, **kwargs: Any) -> dict[str, Any]:
    return spark_application(cfg, DayWindow(DAY, NEXT), **kwargs)


def pinned_spark_operator_chart() -> Path:
    pins = dict(
        line.split("=", 1)
        for line in (REPO_ROOT / "helm" / "charts.env").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    return SHARED_CHARTS / f"spark-operator-{pins['SPARK_OPERATOR_CHART_VERSION']}.tgz"


@pytest.fixture(scope="module")
def crd_schema() -> dict[str, Any]:
    chart = pinned_spark_operator_chart()
    if not chart.exists():
        pytest.skip(f"{chart} absent (../shared beside the repository): no SparkApplication CRD to check")
    with tarfile.open(chart) as tar:
        handle = tar.extractfile(CRD_MEMBER)
        assert handle is not None, f"{CRD_MEMBER} missing from {chart}"
        crd = yaml.safe_load(handle.read())
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1beta2"]
    return version["schema"]["openAPIV3Schema"]


@pytest.mark.parametrize("env", [GKE_ENV, KIND_ENV], ids=["gke", "kind"])
def test_rendered_application_validates_against_the_crd(
    crd_schema: dict[str, Any], env: dict[str, str]
) -> None:
    doc = render(PipelineConfig.from_env(env, repo_root=REPO_ROOT))
    jsonschema.Draft7Validator(crd_schema).validate(doc)
    assert doc["apiVersion"] == "sparkoperator.k8s.io/v1beta2"
    assert doc["kind"] == "SparkApplication"
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", doc["metadata"]["name"])


def unknown_fields(doc: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Keys of ``doc`` the CRD schema does not declare (the CRD allows unknown fields silently,
    and the API server would prune them: a misspelt field must fail here instead)."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return []
    found: list[str] = []
    if isinstance(doc, dict):
        props, extra = schema.get("properties"), schema.get("additionalProperties")
        for key, value in doc.items():
            if props is not None and key in props:
                found += unknown_fields(value, props[key], f"{path}.{key}")
            elif isinstance(extra, dict):
                found += unknown_fields(value, extra, f"{path}.{key}")
            elif props is not None:
                found.append(f"{path}.{key}")
    elif isinstance(doc, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(doc):
            found += unknown_fields(item, schema["items"], f"{path}[{index}]")
    return found


@pytest.mark.parametrize("env", [GKE_ENV, KIND_ENV], ids=["gke", "kind"])
def test_rendered_application_uses_only_crd_fields(crd_schema: dict[str, Any], env: dict[str, str]) -> None:
    doc = render(PipelineConfig.from_env(env, repo_root=REPO_ROOT))
    assert unknown_fields(doc, crd_schema) == []


def test_unknown_field_check_can_fail(crd_schema: dict[str, Any]) -> None:
    doc = render(gke())
    doc["spec"]["executor"]["nodeSelectors"] = {"caec.io/pool": "spark"}
    doc["spec"]["driver"]["tolerations"][0]["effects"] = "NoSchedule"
    assert unknown_fields(doc, crd_schema) == [
        ".spec.driver.tolerations[0].effects",
        ".spec.executor.nodeSelectors",
    ]


def test_spark_pods_land_on_the_spark_pool_from_terraform(crd_schema: dict[str, Any]) -> None:
    """GKE: driver and executors select the Spark (Spot) pool and tolerate its taint, exactly as
    Terraform defines it (dev.platform.yaml's sparkPool, rendered into the ConfigMap)."""
    doc = render(gke())
    jsonschema.Draft7Validator(crd_schema).validate(doc)
    spec = doc["spec"]
    for role in ("driver", "executor"):
        assert spec[role]["nodeSelector"] == DEV_SPARK_POOL["nodeSelector"] == {"caec.io/pool": "spark"}
        assert spec[role]["tolerations"] == DEV_SPARK_POOL["tolerations"]
        assert {"key": "caec.io/pool", "operator": "Equal", "value": "spark", "effect": "NoSchedule"} in (
            spec[role]["tolerations"]
        )
    # Per role, not the deprecated application-level field (the CRD says they are mutually exclusive).
    assert "nodeSelector" not in spec


def test_no_placement_without_a_spark_pool(crd_schema: dict[str, Any]) -> None:
    """kind (and any config without CAEC_SPARK_*): no nodeSelector/tolerations fields at all."""
    unplaced_gke = {k: v for k, v in GKE_ENV.items() if k not in PLACEMENT_VARS}
    for env in (KIND_ENV, unplaced_gke):
        doc = render(PipelineConfig.from_env(env, repo_root=REPO_ROOT))
        jsonschema.Draft7Validator(crd_schema).validate(doc)
        assert "nodeSelector" not in doc["spec"] and "tolerations" not in doc["spec"]
        for role in ("driver", "executor"):
            assert not {"nodeSelector", "tolerations"} & set(doc["spec"][role]), role


def test_placement_is_rendered_verbatim_from_the_config() -> None:
    """Whatever the ConfigMap holds (validated by PipelineConfig) is what the pods get."""
    env = {
        **GKE_ENV,
        "CAEC_SPARK_NODE_SELECTOR": '{"cloud.google.com/gke-spot":"true","caec.io/pool":"spark"}',
        "CAEC_SPARK_TOLERATIONS": '[{"key":"cloud.google.com/gke-spot","operator":"Exists","effect":"NoSchedule"}]',
    }
    spec = render(PipelineConfig.from_env(env, repo_root=REPO_ROOT))["spec"]
    for role in ("driver", "executor"):
        assert spec[role]["nodeSelector"] == {"caec.io/pool": "spark", "cloud.google.com/gke-spot": "true"}
        assert spec[role]["tolerations"] == [
            {"key": "cloud.google.com/gke-spot", "operator": "Exists", "effect": "NoSchedule"}
        ]


def test_schema_catches_a_broken_application(crd_schema: dict[str, Any]) -> None:
    """Guards the guard: the validation above is not vacuous."""
    doc = render(gke())
    doc["spec"]["type"] = "Ruby"
    del doc["spec"]["driver"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(crd_schema).validate(doc)


def test_job_image_arguments_and_identity() -> None:
    cfg = gke()
    spec = render(cfg)["spec"]
    assert spec["type"] == "Python" and spec["mode"] == "cluster"
    assert spec["image"] == "europe-west1-docker.pkg.dev/my-project/caec-dev/caec-spark:0123abc"
    assert spec["mainApplicationFile"] == SPARK_MAIN_FILE and SPARK_MAIN_FILE.startswith("local://")
    assert spec["arguments"] == sessionize_args(cfg, DayWindow(DAY, NEXT))
    assert spec["arguments"][spec["arguments"].index("--start") + 1] == "2026-11-02"
    assert spec["arguments"][spec["arguments"].index("--end") + 1] == "2026-11-03"
    assert (
        spec["arguments"][spec["arguments"].index("--output") + 1]
        == "gs://my-project-caec-dev-staging/staging"
    )
    assert spec["restartPolicy"] == {"type": "Never"}
    # Workload Identity: the same KSA on the driver and on every executor.
    assert spec["driver"]["serviceAccount"] == spec["executor"]["serviceAccount"] == "caec-spark"
    assert render(cfg)["metadata"]["namespace"] == "caec-jobs"


def test_resources_and_dynamic_allocation() -> None:
    sizing = SparkSizing(executor_memory="6g", executor_core_request="1400m", max_executors=12)
    spec = render(gke(), sizing=sizing)["spec"]
    assert spec["driver"]["cores"] == 1 and spec["driver"]["memory"] == "1g"
    assert spec["driver"]["coreRequest"] == "500m" and spec["driver"]["memoryOverhead"] == "512m"
    assert spec["executor"]["cores"] == 1 and spec["executor"]["memory"] == "6g"
    assert spec["executor"]["coreRequest"] == "1400m" and spec["executor"]["coreLimit"] == "1"
    assert spec["dynamicAllocation"] == {
        "enabled": True,
        "shuffleTrackingEnabled": True,
        "initialExecutors": 1,
        "minExecutors": 1,
        "maxExecutors": 12,
    }
    assert spec["sparkConf"]["spark.sql.sources.partitionOverwriteMode"] == "dynamic"
    with pytest.raises(ValueError, match="min_executors"):
        SparkSizing(min_executors=3, max_executors=2)


# What helm/caec-platform renders into the caec-spark-sizing ConfigMap for dev (helm/values/caec-platform).
DEV_SIZING = (
    '{"driver_core_limit":"1200m","driver_core_request":"1","driver_cores":1,"driver_memory":"2g",'
    '"driver_memory_overhead":"512m","executor_core_limit":"2","executor_core_request":"1400m",'
    '"executor_cores":2,"executor_memory":"6g","executor_memory_overhead":"2g","max_executors":3,'
    '"min_executors":1,"shuffle_partitions":32}'
)


def test_sizing_comes_from_the_environment() -> None:
    assert sizing_from_env({}) == SparkSizing() == sizing_from_env({SIZING_ENV_VAR: " "})
    sizing = sizing_from_env({SIZING_ENV_VAR: DEV_SIZING})
    assert (sizing.executor_cores, sizing.executor_core_request, sizing.max_executors) == (2, "1400m", 3)
    with pytest.raises(ValueError, match="not valid JSON"):
        sizing_from_env({SIZING_ENV_VAR: "{cores: 2}"})
    with pytest.raises(ValueError, match="executor_corez"):
        sizing_from_env({SIZING_ENV_VAR: '{"executor_corez": 2}'})


def test_operator_reads_the_sizing_when_it_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    from caec_airflow.dag_factory import build_clickstream_daily

    op: Any = build_clickstream_daily("kubernetes").get_task("sessionize")
    for key, value in {**GKE_ENV, SIZING_ENV_VAR: DEV_SIZING}.items():
        monkeypatch.setenv(key, value)
    spec = op.prepare(run_context("2026-11-02", "2026-11-03"))["spec"]
    assert spec["executor"]["coreRequest"] == "1400m" and spec["executor"]["memory"] == "6g"
    assert spec["dynamicAllocation"]["maxExecutors"] == 3


def test_gcs_connector_uses_workload_identity() -> None:
    hadoop = render(gke())["spec"]["hadoopConf"]
    assert hadoop["fs.gs.impl"] == "com.google.cloud.hadoop.fs.gcs.GoogleHadoopFileSystem"
    assert hadoop["fs.AbstractFileSystem.gs.impl"] == "com.google.cloud.hadoop.fs.gcs.GoogleHadoopFS"
    assert hadoop["fs.gs.auth.type"] == "APPLICATION_DEFAULT"
    assert hadoop["fs.gs.project.id"] == "my-project"
    assert all(isinstance(v, str) for v in hadoop.values())


def test_pods_are_non_root_and_the_salt_stays_in_a_secret() -> None:
    spec = render(gke())["spec"]
    for role in ("driver", "executor"):
        pod, container = spec[role]["podSecurityContext"], spec[role]["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["seccompProfile"] == {"type": "RuntimeDefault"}
        assert container["allowPrivilegeEscalation"] is False
        assert container["capabilities"] == {"drop": ["ALL"]}
        env = {e["name"]: e for e in spec[role]["env"]}
        assert env["CAEC_IDENTITY_SALT"]["valueFrom"]["secretKeyRef"]["name"] == SALT_SECRET_NAME
        assert "a-real-secret-salt" not in yaml.safe_dump(spec)
        # Loopback binding is for laptops: in a pod it would cut executors off the driver.
        assert "SPARK_LOCAL_IP" not in env and "PYSPARK_PYTHON" not in env


def test_shared_volume_only_when_configured() -> None:
    assert "volumes" not in render(gke())["spec"]
    spec = render(PipelineConfig.from_env(KIND_ENV, repo_root=REPO_ROOT))["spec"]
    assert spec["volumes"] == [{"name": "caec-data", "persistentVolumeClaim": {"claimName": "caec-data"}}]
    for role in ("driver", "executor"):
        assert spec[role]["volumeMounts"] == [{"name": "caec-data", "mountPath": "/data"}]
    assert spec["image"] == "caec/caec-spark:e2e"


def test_multi_day_window_gets_its_own_name() -> None:
    doc = spark_application(gke(), DayWindow(DAY, date(2026, 11, 5)))
    assert doc["metadata"]["name"] == "caec-sessionize-20261102-20261105"


def test_spark_version_matches_the_pinned_pyspark() -> None:
    lock = (REPO_ROOT / "spark" / "requirements.lock").read_text()
    match = re.search(r"^pyspark==(\S+)", lock, flags=re.MULTILINE)
    assert match, "pyspark is not pinned in spark/requirements.lock"
    assert match.group(1) == SPARK_VERSION


def test_operator_renders_at_run_time_and_the_provider_accepts_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator reads the config when it executes; the provider's launcher builds the CR body."""
    from airflow.providers.cncf.kubernetes.operators.custom_object_launcher import CustomObjectLauncher

    from caec_airflow.dag_factory import build_clickstream_daily

    dag = build_clickstream_daily("kubernetes")
    op: Any = dag.get_task("sessionize")
    assert op.template_spec is None  # nothing rendered at parse time
    for key, value in GKE_ENV.items():
        monkeypatch.setenv(key, value)
    doc = op.prepare(run_context("2026-11-02", "2026-11-03"))
    assert op.namespace == "caec-jobs"
    assert op.template_body == {"spark": doc}
    launcher = CustomObjectLauncher(
        name="caec-sessionize-20261102-x1",
        namespace=op.namespace,
        kube_client=None,
        custom_obj_api=None,
        template_body=op.template_body,
    )
    assert launcher.body["metadata"] == {
        "name": "caec-sessionize-20261102-x1",
        "namespace": "caec-jobs",
        "labels": doc["metadata"]["labels"],
    }
    assert (launcher.api_group, launcher.api_version, launcher.plural) == (
        "sparkoperator.k8s.io",
        "v1beta2",
        "sparkapplications",
    )
