"""Raw files are read in tasks of about equal bytes, with no shuffle, and the session's settings are restored."""

from __future__ import annotations

import gzip
from pathlib import Path

from pyspark.sql import SparkSession

from caec_spark import io


def test_files_are_packed_into_balanced_tasks_without_a_shuffle(spark: SparkSession, tmp_path: Path) -> None:
    files = []
    for day in range(1, 21):
        f = tmp_path / f"dt=2026-11-{day:02d}" / "part-00000.jsonl.gz"
        f.parent.mkdir()
        f.write_bytes(gzip.compress(b"".join(b'{"n": %d}\n' % (day * 1000 + i) for i in range(200))))
        files.append(str(f))
    keys = ("spark.sql.files.maxPartitionBytes", "spark.sql.files.openCostInBytes")
    before = [spark.conf.get(k) for k in keys]
    with io.balanced_file_tasks(spark, files, tasks_per_core=2):
        lines = io.read_lines(spark, files, "jsonl")
        assert "Exchange" not in lines._jdf.queryExecution().executedPlan().toString()
        per_task = lines.rdd.mapPartitions(lambda rows: [len({r["source_file"] for r in rows})]).collect()
    # 20 files of about equal size, 2 cores x 2 tasks: whole files packed ~20/4 to a task, not 20 tasks
    # (one per file) and not all in the 2 default partitions
    assert sum(per_task) == 20 and 4 <= len(per_task) <= 8, per_task
    assert max(per_task) <= 5, (
        per_task
    )  # no task holds several tasks' worth (the hashed read put 7 of 31 in one)
    assert [spark.conf.get(k) for k in keys] == before
    assert lines.count() == 4000
