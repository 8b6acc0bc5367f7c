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


# The anchor's state as working columns of the sessionize pass: (working name, ANCHOR_SCHEMA column, type).
_ANCHOR_STATE = (
    ("_a_run", "run_start_t", "long"),
    ("_a_start", "session_start_t", "long"),
    ("_a_index", "session_index", "int"),
    ("_a_seq", "last_seq", "int"),
    ("_a_campaign", "last_campaign", "string"),
)


def session_id_col(visitor: Column, start_micros: Column) -> Column:
    """Deterministic session id: hash of the visitor and the session start (epoch microseconds)."""
    return F.substring(F.sha2(F.concat_ws("|", visitor, start_micros.cast("string")), 256), 1, 32)


def sessionize(events: DataFrame, anchors: DataFrame | None, rules: RulesConfig) -> DataFrame:
    """Add session_id, seq_in_session, session_index, session_start and the run start to ``events``.

    ``events`` needs visitor_id, event_ts, event_id, utm_campaign; ``anchors`` has :data:`ANCHOR_SCHEMA`,
    or is None when there is no earlier state (a first run). Events must all be later than their
    visitor's anchor.

    Every window below has the same partitioning and ordering (visitor; time, anchor first, event id),
    so Spark shuffles and sorts the events once: runs, chunks and sessions are running "last marker"
    values over that one order instead of windows partitioned by run and session (each of which would
    re-sort all events). The output stays hash-partitioned by ``visitor_id``; later per-session steps
    group by (visitor_id, session_id) and reuse that partitioning without another shuffle.
    """
    timeout = rules.inactivity_timeout_s * 1_000_000
    max_len = rules.max_session_s * 1_000_000
    ev = events.withColumn("_t", F.unix_micros("event_ts")).withColumn("_anchor", F.lit(False))
    if anchors is None:
        # No state: no anchor rows, and no join that would scan every event for its visitor ids.
        both = ev.select("*", *[F.lit(None).cast(t).alias(c) for c, _, t in _ANCHOR_STATE])
    else:
        anc = anchors.select(
            "visitor_id",
            F.col("last_t").alias("_t"),
            F.lit(True).alias("_anchor"),
            *[F.col(src).alias(c) for c, src, _ in _ANCHOR_STATE],
        )
        # Only anchors of visitors that have new events matter.
        anc = anc.join(ev.select("visitor_id").distinct(), "visitor_id", "left_semi")
        both = ev.unionByName(anc, allowMissingColumns=True)
    w = Window.partitionBy("visitor_id").orderBy(F.col("_t"), F.col("_anchor").desc(), F.col("event_id"))
    upto_here = w.rowsBetween(Window.unboundedPreceding, 0)
    anchor = F.col("_anchor")

    # 1. activity runs: a gap > timeout (or a campaign change) starts one; the anchor continues its own
    campaign = F.when(anchor, F.col("_a_campaign")).otherwise(F.col("utm_campaign"))
    both = both.withColumn("_campaign", campaign)
    prev_campaign = F.last("_campaign", ignorenulls=True).over(w.rowsBetween(Window.unboundedPreceding, -1))
    both = both.select("*", F.lag("_t").over(w).alias("_prev_t"), F.row_number().over(w).alias("_rn"))
    new_run = F.col("_prev_t").isNull() | ((F.col("_t") - F.col("_prev_t")) > timeout)
    if rules.split_on_campaign_change:
        both = both.withColumn("_prev_campaign", prev_campaign)
        new_run = new_run | (
            F.col("_campaign").isNotNull()
            & F.col("_prev_campaign").isNotNull()
            & (F.col("_campaign") != F.col("_prev_campaign"))
        )
    both = both.withColumn("_new_run", ~anchor & new_run)
    # 2. the run's start: the latest marker so far (the anchor's stored run start, or a new run's first time)
    run_start = F.when(anchor, F.col("_a_run")).when(F.col("_new_run"), F.col("_t"))
    both = both.withColumn("_run_start", F.last(run_start, ignorenulls=True).over(upto_here))
    # 3. a session starts at a new run or where the run crosses into its next max-length chunk; within a
    # run the previous row shares this run start, so its chunk needs no second window pass
    chunk = F.floor((F.col("_t") - F.col("_run_start")) / F.lit(max_len))
    prev_chunk = F.floor((F.col("_prev_t") - F.col("_run_start")) / F.lit(max_len))
    both = both.withColumn("_new_session", ~anchor & (F.col("_new_run") | (chunk != prev_chunk)))
    rn = F.col("_rn")
    start_mark = F.when(anchor, F.col("_a_start")).when(F.col("_new_session"), F.col("_t"))
    # seq = rows since the session's first row; an anchor row stands for its session's last_seq-th event
    seq_mark = F.when(anchor, rn - F.col("_a_seq")).when(F.col("_new_session"), rn - 1)
    both = both.select(
        "*",
        F.last(start_mark, ignorenulls=True).over(upto_here).alias("_start"),
        (rn - F.last(seq_mark, ignorenulls=True).over(upto_here)).cast("int").alias("seq_in_session"),
        (
            F.coalesce(F.max("_a_index").over(upto_here), F.lit(0))
            + F.sum(F.col("_new_session").cast("int")).over(upto_here)
        )
        .cast("int")
        .alias("session_index"),
    )
    both = (
        both.where(~anchor)
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
        "_prev_t",
        "_prev_campaign",
        "_rn",
        "_new_run",
        "_run_start",
        "_new_session",
        "_start",
    )


def anchors_from(sessionized: DataFrame, prior: DataFrame | None) -> DataFrame:
    """The visitor state after these events: the last event of each visitor, else the prior anchor.

    An aggregation by visitor (not a window): ``sessionized`` is already partitioned (and, cached, sorted)
    by visitor, so this needs neither a shuffle nor a sort. ``prior`` None: no earlier state.
    """
    order = F.struct(F.col("event_ts"), F.col("event_id"))
    last = F.max_by(
        F.struct(
            F.unix_micros("event_ts").alias("last_t"),
            F.col("run_start_t"),
            F.col("session_start_t"),
            F.col("session_id"),
            F.col("session_index"),
            F.col("seq_in_session").alias("last_seq"),
        ),
        order,
    )
    camp = F.max_by(F.col("utm_campaign"), F.when(F.col("utm_campaign").isNotNull(), order))
    latest = sessionized.groupBy("visitor_id").agg(last.alias("_s"), camp.alias("_camp"))
    cols = [
        "visitor_id",
        "_s.last_t",
        "_s.run_start_t",
        "_s.session_start_t",
        "_s.session_id",
        "_s.session_index",
        "_s.last_seq",
    ]
    if prior is None:
        return latest.select(*cols, F.col("_camp").alias("last_campaign"))
    joined = latest.join(
        prior.select("visitor_id", F.col("last_campaign").alias("_prior_camp")), "visitor_id", "left"
    )
    new_state = joined.select(*cols, F.coalesce("_camp", "_prior_camp").alias("last_campaign"))
    untouched = prior.join(latest.select("visitor_id"), "visitor_id", "left_anti")
    return new_state.unionByName(untouched.select(*new_state.columns))
