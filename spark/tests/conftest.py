"""One session-scoped local SparkSession for every test (local[2], 2 shuffle partitions: a shared machine)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from pyspark.sql import SparkSession

from caec_spark.session import get_spark

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ.setdefault("CAEC_IDENTITY_SALT", "test-salt")


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    os.environ["PYSPARK_SUBMIT_ARGS"] = "--driver-memory 1g pyspark-shell"
    # Tiny inputs: interpreted execution beats compiling whole-stage code for every query; no UI.
    s = get_spark(
        "caec-tests",
        master="local[2]",
        shuffle_partitions=2,
        extra_conf={"spark.sql.codegen.wholeStage": "false", "spark.ui.enabled": "false"},
        input_bytes=0,  # tiny inputs: the short-run JVM (client compiler only)
    )
    s.conf.set("spark.sql.adaptive.coalescePartitions.enabled", "true")
    yield s
    s.stop()
