"""Assign sessions to events: the heart of the job.

Rules (RulesConfig): per visitor, ordered by (event_ts, event_id),
1. an *activity run* starts at a visitor's first event, after a gap strictly greater than the inactivity
   timeout (``gap > timeout``; the same test as ``session_window``), or — when ``split_on_campaign_change``
   — at an event whose ``utm_campaign`` is set and differs from the visitor's last non-null campaign;
2. an activity run is cut into chunks of ``max_session_s`` measured from the run's first event; each
   non-empty chunk is a session, starting at its first event;
3. ``session_id`` = hash(visitor_id, session_start); ``seq_in_session`` 1-based; ``session_index`` is the
   1-based rank of the session among the visitor's sessions.

*Anchors* carry a visitor's state from earlier days (see docs/sessionization.md): the last event time,
its run start, session start/id/index, last seq and last campaign. An anchor row is sessionized together
with the new events as if it were that last event, so continuing sessions keep their id, seq and index.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from caec_spark.config import RulesConfig

ANCHOR_SCHEMA = (
    "visitor_id string, last_t long, run_start_t long, session_start_t long, session_id string, "
    "session_index int, last_seq int, last_campaign string"
)


def session_id_col(visitor: Column, start_micros: Column) -> Column:
    """Deterministic session id: hash of the visitor and the session start (epoch microseconds)."""
    return F.substring(F.sha2(F.concat_ws("|", visitor, start_micros.cast("string")), 256), 1, 32)


def sessionize(events: DataFrame, anchors: DataFrame, rules: RulesConfig) -> DataFrame:
    """Add session_id, seq_in_session, session_index, session_start and the run start to ``events``.

    ``events`` needs visitor_id, event_ts, event_id, utm_campaign; ``anchors`` has :data:`ANCHOR_SCHEMA`
    (possibly empty). Events must all be later than their visitor's anchor.
    """
    timeout = rules.inactivity_timeout_s * 1_000_000
    max_len = rules.max_session_s * 1_000_000
    ev = events.withColumn("_t", F.unix_micros("event_ts")).withColumn("_anchor", F.lit(False))
    anc = anchors.select(
        "visitor_id",
        F.col("last_t").alias("_t"),
        F.lit(True).alias("_anchor"),
        F.col("run_start_t").alias("_a_run"),
        F.col("session_start_t").alias("_a_start"),
        F.col("session_index").alias("_a_index"),
        F.col("last_seq").alias("_a_seq"),
        F.col("last_campaign").alias("_a_campaign"),
    )
    # Only anchors of visitors that have new events matter.
    anc = anc.join(ev.select("visitor_id").distinct(), "visitor_id", "left_semi")
    both = ev.unionByName(anc, allowMissingColumns=True)
    by_visitor = Window.partitionBy("visitor_id").orderBy(
        F.col("_t"), F.col("_anchor").desc(), F.col("event_id")
    )
    prev_t = F.lag("_t").over(by_visitor)
    campaign = F.when(F.col("_anchor"), F.col("_a_campaign")).otherwise(F.col("utm_campaign"))
    both = both.withColumn("_campaign", campaign)
    prev_campaign = F.last("_campaign", ignorenulls=True).over(
        by_visitor.rowsBetween(Window.unboundedPreceding, -1)
    )
    new_run = prev_t.isNull() | ((F.col("_t") - prev_t) > timeout)
    if rules.split_on_campaign_change:
        new_run = new_run | (
            F.col("_campaign").isNotNull() & prev_campaign.isNotNull() & (F.col("_campaign") != prev_campaign)
        )
    both = both.withColumn("_new_run", F.when(F.col("_anchor"), False).otherwise(new_run).cast("int"))
    both = both.withColumn(
        "_run", F.sum("_new_run").over(by_visitor.rowsBetween(Window.unboundedPreceding, 0))
    )
    by_run = Window.partitionBy("visitor_id", "_run")
    both = both.withColumn("_run_start", F.min(F.coalesce("_a_run", "_t")).over(by_run))
    both = both.withColumn(
        "_chunk", F.floor((F.col("_t") - F.col("_run_start")) / F.lit(max_len)).cast("long")
    )
    by_session = Window.partitionBy("visitor_id", "_run", "_chunk")
    both = both.withColumn("_start", F.min(F.coalesce("_a_start", "_t")).over(by_session))
    seq_base = F.coalesce(F.max("_a_seq").over(by_session) - 1, F.lit(0))
    ordered = by_session.orderBy(F.col("_t"), F.col("_anchor").desc(), F.col("event_id"))
    both = both.withColumn("seq_in_session", (F.row_number().over(ordered) + seq_base).cast("int"))
    by_visitor_sessions = Window.partitionBy("visitor_id").orderBy("_start")
    index_base = F.coalesce(F.max("_a_index").over(Window.partitionBy("visitor_id")) - 1, F.lit(0))
    both = both.withColumn(
        "session_index", (F.dense_rank().over(by_visitor_sessions) + index_base).cast("int")
    )
    both = (
        both.where(~F.col("_anchor"))
        .withColumn("session_id", session_id_col(F.col("visitor_id"), F.col("_start")))
        .withColumn("session_start_t", F.col("_start"))
        .withColumn("run_start_t", F.col("_run_start"))
    )
    return both.drop(
        "_t",
        "_anchor",
        "_a_run",
        "_a_start",
        "_a_index",
        "_a_seq",
        "_a_campaign",
        "_campaign",
        "_new_run",
        "_run",
        "_chunk",
        "_start",
    )


def anchors_from(sessionized: DataFrame, prior: DataFrame) -> DataFrame:
    """The visitor state after these events: the last event of each visitor, else the prior anchor."""
    w = Window.partitionBy("visitor_id").orderBy(F.col("event_ts").desc(), F.col("event_id").desc())
    camp_w = Window.partitionBy("visitor_id")
    latest = (
        sessionized.withColumn("_rn", F.row_number().over(w))
        .withColumn(
            "_camp",
            F.max_by(
                F.col("utm_campaign"), F.when(F.col("utm_campaign").isNotNull(), F.unix_micros("event_ts"))
            ).over(camp_w),
        )
        .where(F.col("_rn") == 1)
        .select(
            "visitor_id",
            F.unix_micros("event_ts").alias("last_t"),
            "run_start_t",
            "session_start_t",
            "session_id",
            "session_index",
            F.col("seq_in_session").alias("last_seq"),
            "_camp",
        )
    )
    joined = latest.join(
        prior.select("visitor_id", F.col("last_campaign").alias("_prior_camp")), "visitor_id", "left"
    )
    new_state = joined.select(
        "visitor_id",
        "last_t",
        "run_start_t",
        "session_start_t",
        "session_id",
        "session_index",
        "last_seq",
        F.coalesce("_camp", "_prior_camp").alias("last_campaign"),
    )
    untouched = prior.join(latest.select("visitor_id"), "visitor_id", "left_anti")
    return new_state.unionByName(untouched.select(*new_state.columns))
