"""The job's plan shape: after sessionizing, the per-session and per-visitor steps add no shuffle or sort,
and the sessionize windows move the columns they do not read as one packed struct.

Why a test: these are the job's largest costs at scale, and they come back silently (e.g. a
``count_distinct`` next to other aggregates planned two more shuffles; grouping keys in another order
than the cached sort order add a sort; a materialisation that forgets its partitioning makes every
later aggregate shuffle and sort again). Asserted on Spark's own physical plans, not on timings.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from helpers import gen, run_job
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

import caec_spark.job as job
from caec_spark.config import RulesConfig
from caec_spark.job import _materialise
from caec_spark.transforms.sessionize import anchors_from, sessionize
from caec_spark.transforms.sessions import build_sessions, with_session_bots

T0 = dt.datetime(2026, 11, 1, 12, 0)


def _plan(df: DataFrame) -> str:
    return str(df._jdf.queryExecution().executedPlan().toString())


def _sessionized(spark: SparkSession) -> DataFrame:
    rows = [
        (f"v{i % 5}", T0 + dt.timedelta(minutes=7 * i), f"e{i:03d}", None, "page_view", f"/p{i % 3}", None)
        for i in range(60)
    ]
    events = spark.createDataFrame(
        rows,
        "visitor_id string, event_ts timestamp, event_id string, utm_campaign string, event_type string, "
        "page_path string, crawler string",
    ).select(
        "*",
        *[
            F.lit(None).cast("string").alias(c)
            for c in ("item_id", "referrer", "utm_source", "utm_medium", "device_type", "transaction_id")
        ],
        F.lit(0.0).alias("revenue"),
    )
    rules = RulesConfig()
    return _materialise(with_session_bots(sessionize(events, None, rules), rules))


def test_sessions_and_state_need_no_shuffle_or_sort(spark: SparkSession) -> None:
    rows = _sessionized(spark)
    sessions = build_sessions(rows, RulesConfig(), "run-1")
    state = anchors_from(rows, None)
    for name, df in (("sessions", sessions), ("state", state)):
        plan = _plan(df)
        assert "Exchange" not in plan and "Sort [" not in plan, (
            f"{name} plan re-shuffles or re-sorts:\n{plan}"
        )
    assert sessions.count() > 0 and state.count() == 5


def test_the_check_can_fail(spark: SparkSession) -> None:
    """The same aggregate keyed (session, visitor) instead of (visitor, session) needs a sort."""
    rows = _sessionized(spark)
    plan = _plan(rows.groupBy("session_id", "visitor_id").agg(F.min_by("page_path", "seq_in_session")))
    assert "Sort [" in plan


def _job_materialisations(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[str, bool]]:
    """Run the job on 300 generated events; each result it materialises: (physical plan, eager)."""
    seen: list[tuple[str, bool]] = []
    materialise = job._materialise

    def capture(df: DataFrame, eager: bool = True) -> DataFrame:
        seen.append((_plan(df), eager))
        return materialise(df, eager)

    monkeypatch.setattr(job, "_materialise", capture)
    spark.conf.set("spark.sql.debug.maxToStringFields", "1000")  # whole projection lists in the plan text
    try:
        run_job(spark, gen(tmp_path / "raw", "jsonl", events=300), tmp_path / "out", "jsonl")
    finally:
        spark.conf.unset("spark.sql.debug.maxToStringFields")
    return seen


def test_carried_columns_cross_the_window_passes_packed(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between the sessionize shuffle and the unpacking at the top, only the columns the windows read
    are separate fields; the rest travel as the one ``_carried`` struct (job._WINDOW_INPUTS)."""
    plans = [plan for plan, _ in _job_materialisations(spark, tmp_path, monkeypatch)]
    sessionized = next(p for p in plans if "Window [" in p)
    lines = sessionized.splitlines()
    shuffle = next(i for i, line in enumerate(lines) if "Exchange hashpartitioning(visitor_id" in line)
    between = "\n".join(lines[1:shuffle])  # line 0: the unpacking projection
    assert "Window [" in between
    loose = sorted(c for c in job._CARRIED if re.search(rf"(?<![.\w]){c}#\d", between))
    assert not loose, f"carried columns travel as separate fields through the windows: {loose}"
    assert "_carried#" in between


def test_user_agent_lookup_reads_the_route_tally(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The distinct user agents that the sessionize step classifies come from the route step's small tally
    (Routed.tally), not from another pass over the routed rows; and the routed rows are computed by the
    tally's job (marked lazily), so the route step runs one job over its input."""
    seen = _job_materialisations(spark, tmp_path, monkeypatch)
    plans = [plan for plan, _ in seen]
    assert [eager for _, eager in seen[:2]] == [False, True]  # the routed rows, then the tally computing them
    sessionized = next(p for p in plans if "Window [" in p).splitlines()
    start = next(i for i, line in enumerate(sessionized) if "BroadcastExchange" in line)
    depth = len(sessionized[start]) - len(sessionized[start].lstrip(" :|+-"))
    lookup = [sessionized[start]]
    for line in sessionized[start + 1 :]:
        if len(line) - len(line.lstrip(" :|+-")) <= depth:
            break
        lookup.append(line)
    scans = [line for line in lookup if "Scan ExistingRDD" in line]
    assert scans, "\n".join(lookup)
    for scan in scans:
        assert "source_file#" not in scan and re.search(r"\bn#\d", scan), (
            f"the lookup reads the routed rows: {scan}"
        )
