"""Raw files are read one task per file, with no shuffle, and the session's settings are restored."""

from __future__ import annotations

import gzip
from pathlib import Path

from pyspark.sql import SparkSession

from caec_spark import io


def test_every_file_is_a_task_of_its_own(spark: SparkSession, tmp_path: Path) -> None:
    files = []
    for day in range(1, 6):
        f = tmp_path / f"dt=2026-11-0{day}" / "part-00000.jsonl.gz"
        f.parent.mkdir()
        f.write_bytes(gzip.compress(b'{"a": 1}\n' * day))
        files.append(str(f))
    key = "spark.sql.files.openCostInBytes"
    before = spark.conf.get(key)
    with io.one_task_per_file(spark):
        lines = io.read_lines(spark, files, "jsonl")
        assert lines.rdd.getNumPartitions() == len(files)  # small files would otherwise share a task
        assert "Exchange" not in lines._jdf.queryExecution().executedPlan().toString()
        per_task = lines.rdd.mapPartitions(lambda rows: [sorted({r["source_file"] for r in rows})]).collect()
    assert sorted(len(p) for p in per_task) == [1] * len(files)
    assert spark.conf.get(key) == before
    assert lines.count() == 15
