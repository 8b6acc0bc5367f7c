"""Sessionization transforms on tiny inline DataFrames, and a property test against the reference."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.testing import assertDataFrameEqual

from caec_spark.config import RulesConfig
from caec_spark.reference import RefEvent, session_id
from caec_spark.reference import sessionize as ref_sessionize
from caec_spark.transforms.sessionize import ANCHOR_SCHEMA, sessionize

T0 = dt.datetime(2026, 11, 1, 23, 0)
EV_SCHEMA = "visitor_id string, event_ts timestamp, event_id string, utm_campaign string"


def _events(spark: SparkSession, rows: Sequence[tuple[str, float, str, str | None]]) -> DataFrame:
    """rows: (visitor, minutes after T0, event_id, campaign)."""
    return spark.createDataFrame([(v, T0 + dt.timedelta(minutes=m), e, c) for v, m, e, c in rows], EV_SCHEMA)


def _no_anchors(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame([], ANCHOR_SCHEMA)


def _micros(minutes: float) -> int:
    return int((T0 + dt.timedelta(minutes=minutes)).replace(tzinfo=dt.UTC).timestamp() * 1_000_000)


def test_gap_strictly_greater_than_timeout_splits(spark: SparkSession) -> None:
    ev = _events(
        spark, [("a", 0, "e1", None), ("a", 30, "e2", None), ("a", 60.5, "e3", None), ("b", 5, "e4", None)]
    )
    out = sessionize(ev, _no_anchors(spark), RulesConfig()).select(
        "event_id", "seq_in_session", "session_index", "session_id"
    )
    s1, s2, s3 = session_id("a", _micros(0)), session_id("a", _micros(60.5)), session_id("b", _micros(5))
    expected = spark.createDataFrame(
        [("e1", 1, 1, s1), ("e2", 2, 1, s1), ("e3", 1, 2, s2), ("e4", 1, 1, s3)],
        "event_id string, seq_in_session int, session_index int, session_id string",
    )
    assertDataFrameEqual(out, expected)


def test_max_session_length_cuts_chunks_from_run_start(spark: SparkSession) -> None:
    rules = RulesConfig(inactivity_timeout_s=1800, max_session_s=3600)
    ev = _events(spark, [("a", m, f"e{m:03d}", None) for m in range(0, 150, 20)])  # 0..140 every 20 min
    out = sessionize(ev, _no_anchors(spark), rules)
    got = {r.event_id: r.session_index for r in out.collect()}
    assert got == {"e000": 1, "e020": 1, "e040": 1, "e060": 2, "e080": 2, "e100": 2, "e120": 3, "e140": 3}


def test_campaign_change_splits_only_when_enabled(spark: SparkSession) -> None:
    ev = _events(spark, [("a", 0, "e1", "x"), ("a", 5, "e2", None), ("a", 10, "e3", "y")])
    on = sessionize(ev, _no_anchors(spark), RulesConfig(split_on_campaign_change=True))
    off = sessionize(ev, _no_anchors(spark), RulesConfig())
    assert sorted((r.event_id, r.session_index) for r in on.collect()) == [("e1", 1), ("e2", 1), ("e3", 2)]
    assert {r.session_index for r in off.collect()} == {1}


def test_anchor_continues_session_id_seq_and_index(spark: SparkSession) -> None:
    start = _micros(-50)
    anchors = spark.createDataFrame(
        [("a", _micros(-10), start, start, session_id("a", start), 4, 7, None)], ANCHOR_SCHEMA
    )
    ev = _events(spark, [("a", 10, "e1", None), ("a", 100, "e2", None)])
    out = {r.event_id: r for r in sessionize(ev, anchors, RulesConfig()).collect()}
    assert out["e1"].session_id == session_id("a", start) and out["e1"].seq_in_session == 8
    assert out["e1"].session_index == 4
    assert out["e2"].session_index == 5 and out["e2"].seq_in_session == 1


# Minutes on a coarse grid hit the exact 30-minute boundary often; campaigns exercise the split rule.
_event = st.tuples(
    st.sampled_from(["a", "b", "c"]),
    st.integers(0, 600).map(lambda x: x * 2.5),
    st.sampled_from([None, None, None, "x", "y"]),
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(_event, min_size=1, max_size=40),
    split=st.booleans(),
    max_h=st.sampled_from([1, 2, 24]),
    no_state=st.booleans(),
)
def test_spark_matches_reference(
    spark: SparkSession, rows: list[tuple[str, float, str | None]], split: bool, max_h: int, no_state: bool
) -> None:
    """Both first-run forms (anchors None, the job's; an empty anchor table) agree with the reference."""
    rules = RulesConfig(max_session_s=max_h * 3600, split_on_campaign_change=split)
    events = [(v, m, f"e{i:03d}", c) for i, (v, m, c) in enumerate(rows)]
    ref = ref_sessionize([RefEvent(v, _micros(m), e, c) for v, m, e, c in events], rules)
    anchors = None if no_state else _no_anchors(spark)
    got = sessionize(_events(spark, events), anchors, rules).select(
        "event_id", "session_id", "seq_in_session", "session_index"
    )
    expected = spark.createDataFrame(
        [(e, a.session_id, a.seq_in_session, a.session_index) for e, a in ref.items()],
        "event_id string, session_id string, seq_in_session int, session_index int",
    )
    assertDataFrameEqual(got, expected)


def test_sessionize_matches_session_window_with_strict_gap(spark: SparkSession) -> None:
    """Cross-check with Spark's own session_window (PLATFORM-NOTES: equal only with strict gap > timeout)."""
    rows = [("a", m, f"e{i}", None) for i, m in enumerate([0, 10, 40, 70.5, 71, 200, 229, 260])]
    ev = _events(spark, rows)
    ours = (
        sessionize(ev, _no_anchors(spark), RulesConfig())
        .groupBy("session_id")
        .agg(F.min("event_ts").alias("s"))
    )
    theirs = ev.groupBy("visitor_id", F.session_window("event_ts", "30 minutes")).agg(
        F.min("event_ts").alias("s")
    )
    assert sorted(r.s for r in ours.collect()) == sorted(r.s for r in theirs.collect())
