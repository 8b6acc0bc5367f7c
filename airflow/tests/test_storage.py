"""Remote files through caec_pipeline.storage, the one place that reads and writes object stores.

The Airflow environment has fsspec (gcsfs for gs://); its in-memory filesystem is a real fsspec
filesystem behind a URI scheme, so the remote path runs here as it does against GCS.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import date

import fsspec
import pytest
from conftest import REPO_ROOT

from caec_pipeline.config import PipelineConfig
from caec_pipeline.dq import DQThresholds, evaluate_manifests, load_manifests
from caec_pipeline.erasure import load_entry
from caec_pipeline.publish import publish
from caec_pipeline.storage import read_text, write_text
from caec_pipeline.window import DayWindow

ROOT = "memory://caec-test/staging"


@pytest.fixture
def memory() -> Iterator[None]:
    fs = fsspec.filesystem("memory")
    yield
    if fs.exists("/caec-test"):
        fs.rm("/caec-test", recursive=True)


def test_read_and_write_a_remote_file(memory: None) -> None:
    assert read_text(f"{ROOT}/nothing.json") is None
    write_text(f"{ROOT}/a/b.json", '{"x": 1}\n')
    assert read_text(f"{ROOT}/a/b.json") == '{"x": 1}\n'
    write_text(f"{ROOT}/a/b.json", "replaced\n")
    assert read_text(f"{ROOT}/a/b.json") == "replaced\n"


def test_gate_publish_and_ledger_on_a_remote_staging_root(memory: None) -> None:
    manifest = {
        "run_id": "r1",
        "finished_at": "2026-11-03T01:00:00Z",
        "window": {"start": "2026-11-02", "end": "2026-11-03", "lookback_hours": 6},
        "reconciled": True,
        "counts": {
            "read": 100, "valid": 100, "quarantined": 0, "filtered": 0, "human": 90, "bot": 10,
            "late": 0, "sessions": 20, "human_sessions": 18, "bot_sessions": 2,
        },
    }  # fmt: skip
    write_text(f"{ROOT}/manifests/run_id=r1.json", json.dumps(manifest))
    pointer = [
        {"dataset": "_pointer", "key": "1", "version": "r1", "status": "current"},
        {"dataset": "manifests", "key": "r1", "version": "r1", "status": "current"},
    ]
    write_text(f"{ROOT}/_current.jsonl", "".join(json.dumps(r) + "\n" for r in pointer))
    ledger = {"request_id": "erase_x", "status": "staging_erased", "visitor_ids": ["v"], "staging": []}
    write_text(f"{ROOT}/_erasure/ledger.jsonl", json.dumps(ledger) + "\n")
    # The settings accept gs:// only; the same code path with an in-memory root stands in for a bucket.
    cfg = dataclasses.replace(PipelineConfig.from_env({}, repo_root=REPO_ROOT), staging_uri=ROOT)

    window = DayWindow(date(2026, 11, 2), date(2026, 11, 3))
    manifests = load_manifests(cfg.staging_uri, window)
    result = evaluate_manifests(manifests, DQThresholds())
    assert [m["run_id"] for m in manifests] == ["r1"] and result.passed, result.message
    (uri,) = publish(cfg, window, result)
    marker = json.loads(read_text(uri) or "")
    assert uri.startswith("memory://") and marker["window"] == {"start": "2026-11-02", "end": "2026-11-03"}
    assert load_entry(cfg, "erase_x")["visitor_ids"] == ["v"]
