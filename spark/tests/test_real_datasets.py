"""Real public logs from /work/shared/datasets (see its README), when present: a sample of each runs
through the job and must reconcile. Skips with a message when the datasets are absent (CI, laptops)."""

from __future__ import annotations

import datetime as dt
import gzip
import os
from pathlib import Path

import pytest
from helpers import run_job
from pyspark.sql import SparkSession

DATASETS = Path(os.environ.get("CAEC_DATASETS", "/work/shared/datasets"))
CANDIDATES = {
    "retailrocket": ["retailrocket/events.csv", "retailrocket/events.csv.gz"],
    "rees46": ["rees46/2019-Oct.csv", "rees46/2019-Oct.csv.gz", "rees46/2019-Nov.csv"],
    "combined": [
        "weblogs/access.log",
        "weblogs/access.log.gz",
        "nasa/access_log_Jul95",
        "nasa/access_log_Jul95.gz",
    ],
}
SAMPLE_LINES = 20_000


def _find(fmt: str) -> Path | None:
    for rel in CANDIDATES[fmt]:
        p = DATASETS / rel
        if p.exists():
            return p
    return None


@pytest.mark.parametrize("fmt", sorted(CANDIDATES))
def test_real_sample_reconciles(spark: SparkSession, tmp_path: Path, fmt: str) -> None:
    if not DATASETS.exists():
        pytest.skip(
            f"{DATASETS} is absent: real-log tests need the shared datasets (set CAEC_DATASETS to point elsewhere)"
        )
    src = _find(fmt)
    if src is None:
        pytest.skip(f"no {fmt} file under {DATASETS} (looked for {', '.join(CANDIDATES[fmt])})")
    opener = gzip.open if src.suffix == ".gz" else open
    sample = tmp_path / f"sample.{fmt}"
    with opener(src, "rb") as f, open(sample, "wb") as out:
        for i, line in enumerate(f):
            if i >= SAMPLE_LINES:
                break
            out.write(line)
    # Real data spans its own dates: a wide window, the job reports how much fell outside it.
    res = run_job(spark, sample, tmp_path / "out", fmt, start=dt.date(1995, 1, 1), end=dt.date(2030, 1, 1))
    c = res.counts
    assert res.manifest["reconciled"]
    assert c["read"] == c["valid"] + c["quarantined"] + c["filtered"]
    assert c["valid"] > 0.9 * c["read"], c["quarantined_by_reason"]
