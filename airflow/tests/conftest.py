"""Shared fixtures. Airflow reads its settings when first imported, so the throwaway AIRFLOW_HOME and
SQLite DB are configured here, before any test module imports airflow."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

AIRFLOW_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = AIRFLOW_DIR.parent
DAGS_FOLDER = AIRFLOW_DIR / "dags"
# dev's platform object, written from Terraform by `make platform-values ENV=dev`.
DEV_PLATFORM = REPO_ROOT / "helm" / "values" / "caec-platform" / "dev.platform.yaml"


def helm_json(value: Any) -> str:
    """What Helm's toJson renders into the ConfigMap (compact, sorted keys); empty stays empty."""
    return json.dumps(value, sort_keys=True, separators=(",", ":")) if value else ""


# The Spark pool placement of dev, exactly as the chart renders it from Terraform's platform.sparkPool.
DEV_SPARK_POOL: dict[str, Any] = yaml.safe_load(DEV_PLATFORM.read_text(encoding="utf-8"))["platform"][
    "sparkPool"
]

_HOME = Path(tempfile.mkdtemp(prefix="caec-airflow-home-"))
os.environ.update(
    {
        "AIRFLOW_HOME": str(_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # The kubernetes mode imports the cncf.kubernetes and Google providers while parsing: seconds on
        # a busy 2-core CI runner. The local-mode import budget is asserted separately (< 2 s).
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "300",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_HOME / 'airflow.db'}",
        "DO_NOT_TRACK": "1",
        "SCARF_ANALYTICS": "false",
    }
)
# The DAG's mode comes from CAEC_MODE; tests choose it explicitly.
os.environ.pop("CAEC_MODE", None)

# A production-like environment (what the caec-pipeline-config ConfigMap sets on GKE).
GKE_ENV = {
    "CAEC_MODE": "kubernetes",
    "CAEC_ENV": "dev",
    "CAEC_DATA_DIR": "/data",
    "CAEC_RAW_URI": "gs://my-project-caec-dev-raw/raw",
    "CAEC_STAGING_URI": "gs://my-project-caec-dev-staging/staging",
    "CAEC_QUARANTINE_URI": "gs://my-project-caec-dev-quarantine/quarantine",
    "CAEC_DBT_TARGET": "bigquery",
    "CAEC_GCP_PROJECT": "my-project",
    "CAEC_BQ_LOCATION": "EU",
    "CAEC_BQ_STAGING_DATASET": "caec_dev_staging",
    "CAEC_BQ_MARTS_DATASET": "caec_dev_marts",
    "CAEC_JOBS_NAMESPACE": "caec-jobs",
    "CAEC_SPARK_SERVICE_ACCOUNT": "caec-spark",
    "CAEC_DBT_SERVICE_ACCOUNT": "caec-dbt",
    "CAEC_IMAGE_REPO": "europe-west1-docker.pkg.dev/my-project/caec-dev",
    "CAEC_IMAGE_TAG": "0123abc",
    "CAEC_IDENTITY_SALT": "a-real-secret-salt",
    "CAEC_SPARK_NODE_SELECTOR": helm_json(DEV_SPARK_POOL["nodeSelector"]),
    "CAEC_SPARK_TOLERATIONS": helm_json(DEV_SPARK_POOL["tolerations"]),
}
# kind end-to-end: no GCS, one PVC mounted at CAEC_DATA_DIR, dbt on DuckDB.
KIND_ENV = {
    "CAEC_MODE": "kubernetes",
    "CAEC_ENV": "kind",
    "CAEC_DATA_DIR": "/data",
    "CAEC_RAW_URI": "/data/raw",
    "CAEC_STAGING_URI": "/data/staging",
    "CAEC_DBT_TARGET": "local",
    "CAEC_SHARED_VOLUME_CLAIM": "caec-data",
    "CAEC_IMAGE_REPO": "caec",
    "CAEC_IMAGE_TAG": "e2e",
}


def run_context(
    interval_start: str = "2026-11-02", interval_end: str = "2026-11-03", **params: Any
) -> dict[str, Any]:
    """The parts of an Airflow task context our tasks read (a daily run's data interval)."""
    return {
        "params": {"start": None, "end": None, **params},
        "data_interval_start": datetime.fromisoformat(interval_start).replace(tzinfo=UTC),
        "data_interval_end": datetime.fromisoformat(interval_end).replace(tzinfo=UTC),
        "run_id": f"scheduled__{interval_start}T00:00:00+00:00",
    }


@pytest.fixture
def clean_caec_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No CAEC_* variable from the developer's shell leaks into a test."""
    for key in [k for k in os.environ if k.startswith("CAEC_")]:
        monkeypatch.delenv(key, raising=False)
    yield


def publish_manifests(staging: Path, docs: list[dict[str, Any]]) -> None:
    """Publish run manifests as the Spark job does: the files, then the pointer naming them
    (docs/data-contract.md, "The publish pointer"); the DQ gate reads only what the pointer names."""
    folder = staging / "manifests"
    folder.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        (folder / f"run_id={doc['run_id']}.json").write_text(json.dumps(doc))
    rows = [{"dataset": "_pointer", "key": "1", "version": docs[-1]["run_id"], "status": "current"}]
    rows += [
        {"dataset": "manifests", "key": d["run_id"], "version": d["run_id"], "status": "current"}
        for d in docs
    ]
    (staging / "_current.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
