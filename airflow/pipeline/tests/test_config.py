from __future__ import annotations

import logging
from pathlib import Path

import pytest

from caec_pipeline.config import (
    DEV_IDENTITY_SALT,
    ConfigError,
    PipelineConfig,
    Toleration,
    find_repo_root,
    is_remote_uri,
    join_uri,
    local_path,
)

ROOT = Path(__file__).resolve().parents[3]


def test_empty_environment_gives_the_local_profile() -> None:
    cfg = PipelineConfig.from_env({}, repo_root=ROOT)
    assert cfg.mode == "local" and cfg.is_local
    assert cfg.env == "local"
    assert cfg.data_dir == ROOT / "data"
    assert cfg.raw_uri == str(ROOT / "data" / "raw")
    assert cfg.staging_uri == str(ROOT / "data" / "staging")
    assert cfg.quarantine_uri == str(ROOT / "data" / "staging" / "quarantine")
    assert cfg.duckdb_path == ROOT / "data" / "warehouse" / "caec.duckdb"
    assert cfg.dbt_target == "local" and cfg.input_format == "jsonl"
    assert (cfg.bq_staging_dataset, cfg.bq_marts_dataset, cfg.bq_location) == (
        "caec_local_staging",
        "caec_local_marts",
        "EU",
    )
    assert (cfg.jobs_namespace, cfg.spark_service_account, cfg.dbt_service_account) == (
        "caec-jobs",
        "caec-spark",
        "caec-dbt",
    )
    assert (cfg.dq_max_quarantine_share, cfg.dq_max_bot_share, cfg.dq_max_late_share) == (0.05, 0.5, 0.1)
    assert cfg.spark_image == "caec/caec-spark:dev"
    assert cfg.uses_dev_salt and cfg.identity_salt == DEV_IDENTITY_SALT
    assert cfg.shared_volume_claim == ""
    # No Spark node pool locally: no placement at all (kind and laptops schedule Spark pods anywhere).
    assert cfg.node_selector == {} and cfg.tolerations == []
    assert cfg.to_env()["CAEC_SPARK_NODE_SELECTOR"] == cfg.to_env()["CAEC_SPARK_TOLERATIONS"] == ""


def test_quarantine_follows_staging_unless_set() -> None:
    cfg = PipelineConfig.from_env(
        {
            "CAEC_MODE": "kubernetes",
            "CAEC_RAW_URI": "gs://p-caec-dev-raw",
            "CAEC_STAGING_URI": "gs://p-caec-dev-staging/",
            "CAEC_DBT_TARGET": "bigquery",
            "CAEC_GCP_PROJECT": "my-project",
        },
        repo_root=ROOT,
    )
    assert cfg.quarantine_uri == "gs://p-caec-dev-staging/quarantine"
    assert cfg.manifests_uri == "gs://p-caec-dev-staging/manifests"
    cfg2 = PipelineConfig.from_env(
        {
            "CAEC_MODE": "kubernetes",
            "CAEC_RAW_URI": "gs://r",
            "CAEC_STAGING_URI": "gs://s",
            "CAEC_QUARANTINE_URI": "gs://q",
            "CAEC_DBT_TARGET": "bigquery",
            "CAEC_GCP_PROJECT": "my-project",
            "CAEC_IMAGE_REPO": "europe-west1-docker.pkg.dev/my-project/caec-dev/",
            "CAEC_IMAGE_TAG": "1.2.3",
        },
        repo_root=ROOT,
    )
    assert cfg2.quarantine_uri == "gs://q"
    assert cfg2.dbt_image == "europe-west1-docker.pkg.dev/my-project/caec-dev/caec-dbt:1.2.3"


def test_empty_strings_count_as_unset() -> None:
    """Helm renders missing keys as empty strings; they must not wipe the defaults."""
    cfg = PipelineConfig.from_env(
        {"CAEC_MODE": "", "CAEC_DQ_MAX_BOT_SHARE": " ", "CAEC_STAGING_URI": ""}, repo_root=ROOT
    )
    assert cfg.mode == "local" and cfg.dq_max_bot_share == 0.5
    assert cfg.staging_uri.endswith("data/staging")


def test_relative_data_dir_is_resolved_against_the_repo(tmp_path: Path) -> None:
    cfg = PipelineConfig.from_env({"CAEC_DATA_DIR": "somewhere"}, repo_root=tmp_path)
    assert cfg.data_dir == tmp_path / "somewhere"
    assert cfg.duckdb_path == tmp_path / "somewhere" / "warehouse" / "caec.duckdb"


def test_every_problem_is_reported_with_its_variable_and_fix() -> None:
    with pytest.raises(ConfigError) as err:
        PipelineConfig.from_env(
            {
                "CAEC_MODE": "k8s",
                "CAEC_DBT_TARGET": "bigquery",
                "CAEC_DQ_MAX_BOT_SHARE": "lots",
                "CAEC_DQ_MAX_LATE_SHARE": "1.5",
                "CAEC_INPUT_FORMAT": "csv",
                "CAEC_JOBS_NAMESPACE": "Caec_Jobs",
                "CAEC_BQ_MARTS_DATASET": "caec-marts",
                "CAEC_STAGING_URI": "s3://bucket/x",
            },
            repo_root=ROOT,
        )
    text = str(err.value)
    for needle in (
        "CAEC_MODE='k8s'",
        "CAEC_GCP_PROJECT is empty",
        "CAEC_DQ_MAX_BOT_SHARE='lots' is not a number",
        "CAEC_DQ_MAX_LATE_SHARE='1.5' is outside 0..1",
        "CAEC_INPUT_FORMAT='csv'",
        "CAEC_JOBS_NAMESPACE='Caec_Jobs'",
        "CAEC_BQ_MARTS_DATASET='caec-marts'",
        "CAEC_STAGING_URI='s3://bucket/x'",
        "docs/configuration.md",
    ):
        assert needle in text, needle
    assert len(err.value.problems) >= 8


def test_kubernetes_mode_rejects_local_paths_without_a_shared_volume() -> None:
    with pytest.raises(ConfigError, match=r"CAEC_STAGING_URI=.*pods cannot see this machine's disk"):
        PipelineConfig.from_env(
            {"CAEC_MODE": "kubernetes", "CAEC_DBT_TARGET": "bigquery", "CAEC_GCP_PROJECT": "my-project"},
            repo_root=ROOT,
        )
    # kind e2e: a PVC mounted at the data dir makes local paths and the DuckDB target valid
    cfg = PipelineConfig.from_env(
        {"CAEC_MODE": "kubernetes", "CAEC_DATA_DIR": "/data", "CAEC_SHARED_VOLUME_CLAIM": "caec-data"},
        repo_root=ROOT,
    )
    assert cfg.staging_uri == "/data/staging" and cfg.shared_volume_claim == "caec-data"


def test_local_duckdb_target_cannot_read_gcs() -> None:
    with pytest.raises(ConfigError, match=r"CAEC_STAGING_URI=.gs://b. is remote but dbt's local"):
        PipelineConfig.from_env({"CAEC_STAGING_URI": "gs://b"}, repo_root=ROOT)


def test_dev_salt_warns_outside_the_laptop_profile(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="caec_pipeline.config"):
        PipelineConfig.from_env({}, repo_root=ROOT)
        assert [r.levelno for r in caplog.records] == [logging.INFO]
        caplog.clear()
        PipelineConfig.from_env({"CAEC_ENV": "dev"}, repo_root=ROOT)
        assert [r.levelno for r in caplog.records] == [logging.WARNING]
        caplog.clear()
        cfg = PipelineConfig.from_env({"CAEC_ENV": "dev", "CAEC_IDENTITY_SALT": "s3cret"}, repo_root=ROOT)
        assert caplog.records == [] and not cfg.uses_dev_salt
    assert cfg.describe()["identity_salt"] == "(set)"
    assert "s3cret" not in str(cfg.describe())


def test_to_env_round_trips() -> None:
    cfg = PipelineConfig.from_env(
        {"CAEC_ENV": "dev", "CAEC_DQ_MAX_BOT_SHARE": "0.25", "CAEC_IMAGE_TAG": "abc"}, repo_root=ROOT
    )
    assert PipelineConfig.from_env(cfg.to_env(), repo_root=ROOT) == cfg


# What the caec-pipeline-config ConfigMap renders from Terraform's platform.sparkPool on GKE.
POOL_SELECTOR = '{"caec.io/pool":"spark"}'
POOL_TOLERATIONS = '[{"effect":"NoSchedule","key":"caec.io/pool","operator":"Equal","value":"spark"}]'


def test_spark_pool_placement_is_read_from_json() -> None:
    cfg = PipelineConfig.from_env(
        {"CAEC_SPARK_NODE_SELECTOR": POOL_SELECTOR, "CAEC_SPARK_TOLERATIONS": POOL_TOLERATIONS},
        repo_root=ROOT,
    )
    assert cfg.node_selector == {"caec.io/pool": "spark"}
    assert cfg.tolerations == [
        {"key": "caec.io/pool", "operator": "Equal", "value": "spark", "effect": "NoSchedule"}
    ]
    assert cfg.spark_tolerations == (Toleration("caec.io/pool", "Equal", "spark", "NoSchedule"),)
    # The ConfigMap's exact text comes back out (Helm's toJson also sorts keys), and hashing still works.
    assert (cfg.to_env()["CAEC_SPARK_NODE_SELECTOR"], cfg.to_env()["CAEC_SPARK_TOLERATIONS"]) == (
        POOL_SELECTOR,
        POOL_TOLERATIONS,
    )
    assert PipelineConfig.from_env(cfg.to_env(), repo_root=ROOT) == cfg
    assert hash(cfg) == hash(PipelineConfig.from_env(cfg.to_env(), repo_root=ROOT))
    assert cfg.describe()["spark_node_selector"] == POOL_SELECTOR


def test_spark_pool_placement_empty_json_means_none() -> None:
    cfg = PipelineConfig.from_env(
        {"CAEC_SPARK_NODE_SELECTOR": "{}", "CAEC_SPARK_TOLERATIONS": " [] "}, repo_root=ROOT
    )
    assert cfg.node_selector == {} and cfg.tolerations == []


def test_exists_toleration_and_toleration_seconds() -> None:
    raw = '[{"operator": "Exists"}, {"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}]'
    cfg = PipelineConfig.from_env({"CAEC_SPARK_TOLERATIONS": raw}, repo_root=ROOT)
    assert cfg.tolerations == [
        {"operator": "Exists"},
        {"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30},
    ]


@pytest.mark.parametrize(
    ("variable", "raw", "needle"),
    [
        ("CAEC_SPARK_NODE_SELECTOR", "caec.io/pool=spark", "is not valid JSON"),
        ("CAEC_SPARK_NODE_SELECTOR", '["caec.io/pool"]', "is not a JSON object"),
        ("CAEC_SPARK_NODE_SELECTOR", '{"caec.io/pool": 1}', "is not a valid label value"),
        ("CAEC_SPARK_NODE_SELECTOR", '{"bad key": "x"}', "is not a valid Kubernetes label key"),
        ("CAEC_SPARK_TOLERATIONS", '{"key": "k"}', "is not a JSON list"),
        ("CAEC_SPARK_TOLERATIONS", '[{"key": "k", "operator": "Like"}]', "operator 'Like'"),
        ("CAEC_SPARK_TOLERATIONS", '[{"value": "spark"}]', "operator Equal needs a key"),
        ("CAEC_SPARK_TOLERATIONS", '[{"operator": "Exists", "value": "v"}]', "Exists takes no value"),
        ("CAEC_SPARK_TOLERATIONS", '[{"key": "k", "value": "v", "effect": "Never"}]', "effect 'Never'"),
        (
            "CAEC_SPARK_TOLERATIONS",
            '[{"key": "k", "value": "v", "efect": "NoSchedule"}]',
            "unknown field 'efect'",
        ),
        (
            "CAEC_SPARK_TOLERATIONS",
            '[{"key": "k", "tolerationSeconds": 5}]',
            "only applies to effect NoExecute",
        ),
        ("CAEC_SPARK_TOLERATIONS", '["caec.io/pool"]', "[0] is not a JSON object"),
    ],
)
def test_bad_spark_pool_placement_names_the_variable_and_fix(variable: str, raw: str, needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        PipelineConfig.from_env({variable: raw}, repo_root=ROOT)
    text = str(err.value)
    assert variable in text and needle in text, text


def test_frozen() -> None:
    cfg = PipelineConfig.from_env({}, repo_root=ROOT)
    with pytest.raises(AttributeError):
        cfg.mode = "kubernetes"  # type: ignore[misc]


def test_uri_helpers() -> None:
    assert is_remote_uri("gs://b/x") and not is_remote_uri("/tmp/x") and not is_remote_uri("file:///tmp/x")
    assert local_path("file:///tmp/x") == Path("/tmp/x")
    assert join_uri("gs://b/", "/manifests/", "a.json") == "gs://b/manifests/a.json"
    with pytest.raises(ValueError):
        local_path("gs://b")


def test_find_repo_root_from_a_subdirectory() -> None:
    assert find_repo_root(ROOT / "airflow" / "pipeline" / "src") == ROOT
