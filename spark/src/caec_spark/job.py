"""The sessionize job: raw logs for a :class:`~caec_spark.config.DayWindow` -> events/, sessions/,
quarantine/ and manifests/, as five named stages (each logs numbered progress lines on stderr):

  1 route      - list the input files the window needs, read numbered raw lines (splitter: gzip,
                 encoding, corrupt and empty files), parse, validate, and route every record:
                 quarantine / filtered / window / look-back context (:func:`route`)
  2 sessionize - continue from the previous visitor state (``_state/visitors/as_of=<start>``, resolved
                 through the publish pointer) or, without it, the look-back; sessions, bots, session
                 records (:func:`sessionize`)
  3 stage      - write everything under ``_tmp/<run_id>/`` (:func:`stage`)
  4 reconcile  - the manifest counts, the written events read back from the staged files; counts that do
                 not add up raise :class:`ReconciliationError` and nothing is published (:func:`reconcile`)
  5 publish    - staged partitions moved into new ``v=<run_id>`` folders, manifest, then the pointer (the
                 publish itself), then garbage collection (:func:`publish`, :mod:`caec_spark.publish`)

Storage is read at the edges only: :func:`read_prior` (the pointer, once), :func:`route` (the raw
files), :func:`sessionize` (the published state and previous day), :func:`stage` and :func:`publish`.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from caec_spark import erasure, io
from caec_spark import publish as pub
from caec_spark.config import DayWindow, RunConfig, join_uri
from caec_spark.formats import parse
from caec_spark.formats._common import ITEM_COLUMNS
from caec_spark.log import progress
from caec_spark.pointer import Pointer
from caec_spark.transforms.enrich import enrich, event_id_col, mask_ips, with_user_agent_classes
from caec_spark.transforms.sessionize import anchors_from
from caec_spark.transforms.sessionize import sessionize as assign_sessions
from caec_spark.transforms.sessions import build_sessions, session_window, with_session_bots
from caec_spark.transforms.validate import classify

EVENT_COLUMNS = (
    "event_id",
    "event_ts",
    "event_date",
    "visitor_id",
    "session_id",
    "seq_in_session",
    "event_type",
    "page_url",
    "page_path",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    *ITEM_COLUMNS,
    "user_agent",
    "device_type",
    "http_status",
    "is_bot",
    "bot_reason",
    "is_late",
    "source_format",
    "source_file",
    "source_line",
    "rules_version",
    "run_id",
)
QUARANTINE_COLUMNS = (
    "reason",
    "detail",
    "raw",
    "raw_truncated",
    "source_format",
    "source_file",
    "source_line",
    "ingest_date",
    "run_id",
)
STAGES = ("route", "sessionize", "stage", "reconcile", "publish")
# Local checkpoints keep their row blocks serialized: one byte buffer per block instead of millions of row
# objects. Spark's default for them (deserialized) did not fit a 12g heap's storage memory at 10M events:
# blocks spilled to disk, were re-read by every later step and failed to re-cache each time (a Spark-only
# 10M A/B pair: 572 s -> 502 s; on a run that fits in memory the two forms took the same time).
# PySpark's MEMORY_AND_DISK is this level (deserialized=False); spelled out so that stays visible.
SERIALIZED_MEMORY_AND_DISK = StorageLevel(useDisk=True, useMemory=True, useOffHeap=False, deserialized=False)

# What the sessionize and bot window passes read. Every other event column only rides along through their
# shuffle, sort and five window operators, each of which copies every row field by field; packed into one
# struct those columns are copied as one block of bytes instead (unpacked before the rows are materialised).
# 1M events, the sessionize stage run 6 times per variant alternating in one process: median 15.4 s -> 12.6 s,
# faster in every pair.
_WINDOW_INPUTS = frozenset(
    ("visitor_id", "event_ts", "event_id", "utm_campaign", "page_path", "session_id", "seq_in_session")
)
# Event columns set after the window passes (bot verdict, run stamps): neither read nor carried by them.
_SET_AFTER_WINDOWS = ("is_bot", "bot_reason", "rules_version", "run_id")
# The event columns packed into the ``_carried`` struct for the window passes.
_CARRIED = tuple(c for c in EVENT_COLUMNS if c not in _WINDOW_INPUTS and c not in _SET_AFTER_WINDOWS)

RouteCounts = dict[tuple[str, str | None], int]
"""Records per (route, quarantine reason) as routed."""
SESSIONIZED_ROUTES = ("window", "context")
"""The routes whose records are sessionized (window events and their look-back context)."""


class ReconciliationError(RuntimeError):
    """Counts do not add up: something was lost or double counted; nothing was published."""


@dataclass
class RunResult:
    manifest: dict[str, Any]
    manifest_uri: str
    counts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Prior:
    """What the run builds on: the published state of the output root, read once when the run starts.

    Every earlier output the run reads (visitor state, the previous day's events, earlier sessions) is
    resolved through this one pointer, so the run builds on one published state even if another publishes.
    """

    pointer: Pointer
    roots: dict[str, pub.Dataset]
    state_uri: str | None
    """The visitor state as of the window's start (None: none published, the look-back is used)."""
    read_at: dt.datetime
    """When the run started (UTC): the clock validation judges future timestamps by."""

    def uri(self, dataset: str, key: dt.date) -> str | None:
        return pub.published_uri(self.pointer, dataset, self.roots[dataset], key.isoformat())


@dataclass(frozen=True)
class Routed:
    """Stage 1's result: every record read, routed (materialised), and the counts per route."""

    rows: DataFrame
    counts: RouteCounts
    input_files: int
    erased_ids: list[str]
    tally: DataFrame
    """Records per route, quarantine reason and (sessionized routes only) user agent (materialised, small):
    computed in the pass that routes, so the counts and the user-agent lookup need no pass of their own."""

    @property
    def user_agents(self) -> DataFrame:
        """The distinct user agents of the records to sessionize (one ``user_agent`` column)."""
        return self.tally.where(F.col("route").isin(*SESSIONIZED_ROUTES)).select("user_agent").distinct()


@dataclass(frozen=True)
class Sessionized:
    """Stage 2's result: sessionized rows (materialised) and the session records of complete sessions."""

    rows: DataFrame
    """Window, context and continued earlier rows, with session ids, bot flags, ``_has_window``/``_window``."""
    sessions: DataFrame
    touched: DataFrame
    """Ids of the sessions that have window events (they replace their earlier versions)."""
    anchors: DataFrame | None
    prev_events: DataFrame | None
    """The published previous day's events (None: no state to continue, or nothing published)."""

    @property
    def complete(self) -> DataFrame:
        """Rows of sessions that reach into the window (look-back context only counts as part of them)."""
        return self.rows.where(F.col("_has_window"))

    @property
    def events(self) -> DataFrame:
        """The window's events as written."""
        return self.complete.where(F.col("_window")).select(*EVENT_COLUMNS)


@dataclass(frozen=True)
class Staged:
    """Stage 3's result: where everything was written under ``_tmp/<run_id>/``."""

    root: str
    quarantine_root: str
    events_schema: Any

    def uri(self, name: str) -> str:
        """A staged output: ``events``, ``events_prev`` (the rewritten previous day), ``sessions``, ``state``."""
        return join_uri(self.root, name)

    def by_dataset(self) -> dict[str, list[str]]:
        """Staged roots per published dataset (the order :func:`caec_spark.publish.move_versions` moves)."""
        return {
            "events": [self.uri("events"), self.uri("events_prev")],
            "sessions": [self.uri("sessions")],
            "quarantine": [self.quarantine_root],
        }

    def delete(self, spark: SparkSession, separate_quarantine: bool) -> None:
        io.delete(spark, self.root)
        if separate_quarantine:
            io.delete(spark, self.quarantine_root)


def _step(stage: str, message: str) -> None:
    progress(stage, message, step=STAGES.index(stage) + 1, steps=len(STAGES))


def run(spark: SparkSession, cfg: RunConfig) -> RunResult:
    """Run the job for ``cfg`` and return the manifest (raises ReconciliationError before publishing)."""
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    t0 = time.monotonic()
    prior = read_prior(spark, cfg, started)
    routed = route(spark, cfg, prior)
    sess = sessionize(spark, cfg, prior, routed)
    staged = stage(spark, cfg, prior, routed, sess)
    counts = reconcile(spark, cfg, routed, sess, staged)
    for df in (routed.rows, routed.tally, sess.rows, sess.sessions):
        df.unpersist()
    return publish(spark, cfg, prior, routed, staged, counts, started, t0)


def read_prior(spark: SparkSession, cfg: RunConfig, now: dt.datetime) -> Prior:
    """The pointer and the visitor state the run continues from; stale staging of dead runs removed."""
    pointer = pub.load_pointer(spark, cfg.output_uri)
    pub.remove_stale_tmp(spark, cfg, now)
    roots = pub.datasets(cfg)
    state_uri = pub.published_uri(pointer, pub.STATE, roots[pub.STATE], cfg.window.start.isoformat())
    return Prior(pointer, roots, state_uri, now)


# ------------------------------------------------------------------------------------------------ 1 route


def input_days(window: DayWindow, has_state: bool, lookback_ts: dt.datetime, late_days: int) -> DayWindow:
    """The raw ``dt=`` days a window needs: the window, the look-back day(s) when there is no state, and
    ``late_days`` after it for late events of the window."""
    first = window.start if has_state else lookback_ts.date()
    return DayWindow(first, window.end + dt.timedelta(days=late_days))


def route_col(window: DayWindow, lookback_ts: dt.datetime, has_state: bool, erased: Column | None) -> Column:
    """Where a classified record goes: quarantine, filtered_<reason>, window or (look-back) context.

    Records of a file outside the window (a look-back or late-arrival day) are context only: their
    problems are that day's run's quarantine, here ``filtered_context_file``.
    """
    in_window_file = F.col("file_dt").isNull() | (
        (F.col("file_dt") >= F.lit(window.start.isoformat()))
        & (F.col("file_dt") < F.lit(window.end.isoformat()))
    )
    ts = F.col("event_ts")
    route = (
        F.when(F.col("reason").isNotNull() & in_window_file, "quarantine")
        .when(F.col("reason").isNotNull(), "filtered_context_file")
        .when(F.col("filter_reason").isNotNull(), F.concat(F.lit("filtered_"), F.col("filter_reason")))
        .when((ts >= F.lit(window.start_ts)) & (ts < F.lit(window.end_ts)), "window")
        .when(F.lit(not has_state) & (ts >= F.lit(lookback_ts)) & (ts < F.lit(window.start_ts)), "context")
        .otherwise("filtered_outside_window")
    )
    # Erased visitors (the ledger's hashed ids) are filtered before anything else, counted by reason.
    if erased is not None:
        route = F.when(erased, F.lit(f"filtered_{erasure.FILTER_REASON}")).otherwise(route)
    return route


def route(spark: SparkSession, cfg: RunConfig, prior: Prior) -> Routed:
    """Stage 1: the input files the window needs -> classified, routed records (materialised), counted."""
    has_state = prior.state_uri is not None
    days = input_days(cfg.window, has_state, cfg.lookback_ts, cfg.rules.late_arrival_days)
    all_files = io.list_input_files(spark, cfg.input_uri)
    files = io.select_files(all_files, days.start, days.last_day)
    _step(
        "route",
        f"{len(files)} of {len(all_files)} file(s) under {cfg.input_uri} needed for days "
        f"{days.start}..{days.last_day}; reading as {cfg.fmt} (gzip detected by magic bytes)",
    )
    if not files:
        raise FileNotFoundError(
            f"no input files for days {days.start}..{days.last_day} under {cfg.input_uri} "
            "(expected files, a glob, or dt=YYYY-MM-DD/ day directories)"
        )
    lines = io.read_lines(spark, files, cfg.fmt)
    classified = classify(parse(lines, cfg.fmt), cfg.rules, prior.read_at.replace(tzinfo=None))
    erased_ids = erasure.load_erased_ids(spark, cfg.output_uri)
    where = route_col(cfg.window, cfg.lookback_ts, has_state, erasure.erased_record(erased_ids, cfg.salt))
    routed = (
        classified.withColumn("route", where)
        .withColumn("source_format", F.lit(cfg.fmt))
        .withColumn("event_id", F.when(F.col("route").isin(*SESSIONIZED_ROUTES), event_id_col()))
        # What is cached is re-read by every later step: keep the raw text only where it is written
        # (quarantine) and drop the parser's working columns.
        .withColumn("raw", F.when(F.col("route") == "quarantine", F.col("raw")))
        .drop("ts_text", "event_type_raw", "parse_reason", "parse_detail", "filter_reason")
    )
    # One pass over the input keeps the routed rows and tallies them by route, reason and the user agent
    # of the rows to sessionize; the counts and the user-agent lookup read the small tally instead of two
    # more passes over the routed rows (~8 s at 10M events on 2 cores).
    sessionized_ua = F.when(F.col("route").isin(*SESSIONIZED_ROUTES), F.col("user_agent"))
    with io.balanced_file_tasks(spark, files):
        routed = _materialise(routed, eager=False)  # computed by the tally's job
        tally = _materialise(
            routed.groupBy("route", "reason", sessionized_ua.alias("user_agent")).agg(
                F.count(F.lit(1)).alias("n")
            )
        )
    counts = {
        (r["route"], r["reason"]): int(r["n"])
        for r in tally.groupBy("route", "reason").agg(F.sum("n").alias("n")).collect()
    }
    _step(
        "route",
        f"{sum(counts.values())} record(s) read: "
        + ", ".join(f"{k}={v}" for k, v in sorted(_by_route(counts).items())),
    )
    return Routed(routed, counts, len(files), erased_ids, tally)


def quarantine_rows(routed: DataFrame, cfg: RunConfig) -> DataFrame:
    """The quarantine output: window-day records that failed validation, raw text masked and truncated."""
    limit = cfg.rules.quarantine_raw_chars
    raw_trunc = F.octet_length("raw") > F.lit(limit)
    return routed.where(F.col("route") == "quarantine").select(
        "reason",
        "detail",
        mask_ips(F.substring(F.coalesce("raw", F.lit("")), 1, limit)).alias("raw"),
        F.coalesce(raw_trunc, F.lit(False)).alias("raw_truncated"),
        "source_format",
        "source_file",
        "source_line",
        F.coalesce(F.col("file_dt").cast("date"), F.lit(cfg.window.start)).alias("ingest_date"),
        F.lit(cfg.run_id).alias("run_id"),
    )


# ------------------------------------------------------------------------------------------- 2 sessionize


def sessionize(spark: SparkSession, cfg: RunConfig, prior: Prior, routed: Routed) -> Sessionized:
    """Stage 2: window and context events -> sessions (continuing the published state), bots, records."""
    rules, window = cfg.rules, cfg.window
    events_in = enrich(
        routed.rows.where(F.col("route").isin(*SESSIONIZED_ROUTES)), cfg.salt, routed.user_agents
    )
    anchors: DataFrame | None = None
    if prior.state_uri is not None:
        anchors = spark.read.parquet(prior.state_uri)
        state = f"continuing from visitor state {prior.state_uri}"
    else:
        state = (
            f"no published state as of {window.start}: using a {cfg.lookback_hours} h look-back "
            f"from {cfg.lookback_ts}"
        )
    _step(
        "sessionize",
        f"{state}; rules {rules.rules_version}: timeout {rules.inactivity_timeout_s}s, max {rules.max_session_s}s",
    )
    base_cols = [c for c in EVENT_COLUMNS if c not in _SET_AFTER_WINDOWS]
    state_cols = ["session_index", "run_start_t", "session_start_t", "route"]
    # Only the output columns travel through the shuffle and sort (not raw text or parser temporaries),
    # and those the window passes only carry along travel packed in one struct (see _WINDOW_INPUTS).
    read = [c for c in base_cols if c in _WINDOW_INPUTS]
    pre_cols = [c for c in read if c not in ("session_id", "seq_in_session")]
    packed = events_in.select(*pre_cols, "crawler", "route", F.struct(*_CARRIED).alias("_carried"))
    rows = assign_sessions(packed, anchors, rules).select(*read, "crawler", *state_cols, "_carried")
    prev_day = window.start - dt.timedelta(days=1)
    prev_events_uri = prior.uri("events", prev_day)
    prev_events: DataFrame | None = None
    if anchors is not None and prev_events_uri is not None:
        # Earlier events of sessions continuing into the window come from the published previous day.
        prev_events = spark.read.parquet(prev_events_uri).withColumn("event_date", F.lit(prev_day))
        # Only a visitor's last session before the window (its anchor's) can continue into it: keep
        # that session's events of the previous day; the window filter below drops those that do not
        # continue after all. (Unioning the whole day would double a daily run's sort.)
        open_sessions = anchors.select("visitor_id", "session_id")
        earlier_events = prev_events.join(open_sessions, ["visitor_id", "session_id"], "left_semi")
        # published events keep their user agent, so the crawler evidence is looked up again
        earlier = with_user_agent_classes(earlier_events.drop("device_type")).select(
            *read,
            "crawler",
            # session_index of a continued session comes from its window events (max ignores these nulls)
            F.lit(None).cast("int").alias("session_index"),
            F.lit(None).cast("long").alias("run_start_t"),
            F.lit(None).cast("long").alias("session_start_t"),
            F.lit("earlier").alias("route"),
            F.struct(*_CARRIED).alias("_carried"),
        )
        rows = rows.unionByName(earlier)
    # Look-back context and earlier rows count only as parts of sessions that reach into the window.
    has_window = F.max((F.col("route") == "window").cast("int")).over(session_window()) == 1
    all_rows = (
        with_session_bots(rows, rules, has_window.alias("_has_window"))
        .withColumn("_window", F.col("event_ts") >= F.lit(window.start_ts))
        .withColumn("rules_version", F.lit(rules.rules_version))
        .withColumn("run_id", F.lit(cfg.run_id))
    )
    unpacked = [F.col(f"_carried.{c}").alias(c) if c in _CARRIED else F.col(c) for c in base_cols]
    all_rows = all_rows.select(*unpacked, *[c for c in all_rows.columns if c not in (*read, "_carried")])
    # Materialise now: every output below reads these rows and would otherwise sessionize anew.
    all_rows = _materialise(all_rows)
    touched = all_rows.where(F.col("route") == "window").select("session_id").distinct()
    sessions = _materialise(build_sessions(all_rows.where(F.col("_has_window")), rules, cfg.run_id))
    # (no count of its own: the counts come from the staged files in the reconcile stage)
    _step("sessionize", "events sessionized, session records built")
    return Sessionized(all_rows, sessions, touched, anchors, prev_events)


# ------------------------------------------------------------------------------------------------ 3 stage


def stage(spark: SparkSession, cfg: RunConfig, prior: Prior, routed: Routed, sess: Sessionized) -> Staged:
    """Stage 3: every output written under ``_tmp/<run_id>/`` (nothing a reader sees yet)."""
    root = join_uri(cfg.output_uri, "_tmp", cfg.run_id)
    staged = Staged(
        root=root,
        quarantine_root=(
            join_uri(cfg.quarantine_root, "_tmp", cfg.run_id)
            if cfg.quarantine_uri
            else join_uri(root, "quarantine")
        ),
        events_schema=sess.events.schema,
    )
    _step("stage", f"staging under {root}")
    # One write after the other, never two at once: parquet-java 1.17 (the one Spark 4.3 ships) makes every
    # file's column writers from the properties of whichever Parquet writer in the JVM was set up last (a
    # shared default factory, apache/parquet-java#3497), and these writes differ in their options (each
    # dataset its own pub.PLAIN_COLUMNS, quarantine none). Submitted together from one thread each, they
    # took each other's in about one test run of ten: a file dictionary-encoded where its writer said not to.
    # Together they filled the cores the events' last tasks leave idle, worth 2.3 s of this step's ~51 s
    # at 10M (three alternating pairs, 49.1 vs 51.4 s) and less than the noise at 1M (6.3 vs 6.6 s).
    _write(sess.events, staged.uri("events"), "events", "event_date")
    _write(_sessions_out(spark, cfg.window, prior, sess), staged.uri("sessions"), "sessions", "session_date")
    _write(
        quarantine_rows(routed.rows, cfg),
        staged.quarantine_root,
        "quarantine",
        "ingest_date",
        ["source_file", "source_line"],
    )
    pub.without_dictionary(
        anchors_from(sess.rows.where(F.col("route") != "earlier"), sess.anchors).write.mode("overwrite"),
        pub.STATE,
    ).parquet(staged.uri("state"))
    if sess.prev_events is not None:
        updated_prev = sess.complete.where(~F.col("_window")).select(*EVENT_COLUMNS)
        kept = sess.prev_events.join(sess.touched, "session_id", "left_anti").select(*EVENT_COLUMNS)
        _write(
            kept.unionByName(updated_prev),
            staged.uri("events_prev"),
            "events",
            "event_date",
            ["visitor_id", "event_ts", "event_id"],
        )
    return staged


def _sessions_out(spark: SparkSession, window: DayWindow, prior: Prior, sess: Sessionized) -> DataFrame:
    """This run's sessions plus the untouched sessions of earlier published days it rewrites."""
    early_dates = [
        r["session_date"]
        for r in sess.sessions.where(F.col("session_date") < F.lit(window.start))
        .select("session_date")
        .distinct()
        .collect()
    ]
    out = sess.sessions
    for d in early_dates:
        old_uri = prior.uri("sessions", d)
        if old_uri is not None:
            old = (
                spark.read.parquet(old_uri)
                .withColumn("session_date", F.lit(d))
                .select(*sess.sessions.columns)
            )
            out = out.unionByName(old.join(sess.touched, "session_id", "left_anti"))
    return out


# -------------------------------------------------------------------------------------------- 4 reconcile


def reconcile(
    spark: SparkSession, cfg: RunConfig, routed: Routed, sess: Sessionized, staged: Staged
) -> dict[str, Any]:
    """Stage 4: the manifest counts, checked (:func:`check_counts`); on a mismatch the staging is deleted
    and :class:`ReconciliationError` raised, so nothing is published.

    The events are counted as written (read back from the staged files: two boolean columns and the row
    counts), not by another pass over the sessionized rows: the check is on what will be published.
    """
    written_events = spark.read.schema(staged.events_schema).parquet(staged.uri("events"))
    counts = count(routed.counts, written_events, sess.sessions, cfg.window)
    ok, problems = check_counts(counts)
    _step(
        "reconcile", "counts " + json.dumps({k: v for k, v in counts.items() if k != "quarantined_by_reason"})
    )
    if not ok:
        staged.delete(spark, separate_quarantine=False)
        raise ReconciliationError("; ".join(problems) + " — nothing was published")
    return counts


def count(
    route_counts: RouteCounts, events_written: DataFrame, sessions: DataFrame, window: DayWindow
) -> dict[str, Any]:
    """The manifest counts: routing counts, the written events (valid/bot/late) and the session records."""
    by_route = _by_route(route_counts)
    read = sum(by_route.values())
    quarantined = by_route.get("quarantine", 0)
    in_window_records = by_route.get("window", 0)
    filtered = read - quarantined - in_window_records
    ev = events_written.agg(
        F.count(F.lit(1)).alias("valid"),
        F.sum(F.col("is_bot").cast("int")).alias("bot"),
        F.sum(F.col("is_late").cast("int")).alias("late"),
    ).collect()[0]
    in_window = (F.col("session_date") >= F.lit(window.start)) & (F.col("session_date") < F.lit(window.end))
    se = sessions.agg(
        F.count(F.lit(1)).alias("n"),
        F.sum(F.col("is_bot").cast("int")).alias("bot"),
        F.sum(in_window.cast("int")).alias("in_window"),
    ).collect()[0]
    valid = int(ev["valid"] or 0)
    bot = int(ev["bot"] or 0)
    by_reason: dict[str, int] = {}
    for (r, reason), n in route_counts.items():
        if r == "quarantine" and reason is not None:
            by_reason[reason] = by_reason.get(reason, 0) + n
    filtered_by_reason = {k[len("filtered_") :]: v for k, v in by_route.items() if k.startswith("filtered_")}
    if by_route.get("context"):
        filtered_by_reason["lookback_context"] = by_route["context"]
    return {
        "read": read,
        "valid": valid,
        "window_records": in_window_records,
        "quarantined": quarantined,
        "filtered": filtered,
        "filtered_by_reason": dict(sorted(filtered_by_reason.items())),
        "human": valid - bot,
        "bot": bot,
        "late": int(ev["late"] or 0),
        "sessions": int(se["n"] or 0),
        "sessions_started_in_window": int(se["in_window"] or 0),
        "human_sessions": int(se["n"] or 0) - int(se["bot"] or 0),
        "bot_sessions": int(se["bot"] or 0),
        "quarantined_by_reason": dict(sorted(by_reason.items())),
    }


def check_counts(counts: dict[str, Any]) -> tuple[bool, list[str]]:
    """The job's invariants: read == valid + quarantined + filtered, valid == human + bot, no lost window rows."""
    problems = []
    if counts["read"] != counts["valid"] + counts["quarantined"] + counts["filtered"]:
        problems.append(
            f"read {counts['read']} != valid {counts['valid']} + quarantined {counts['quarantined']} + filtered {counts['filtered']}"
        )
    if counts["valid"] != counts["human"] + counts["bot"]:
        problems.append(f"valid {counts['valid']} != human {counts['human']} + bot {counts['bot']}")
    if counts["valid"] != counts["window_records"]:
        problems.append(
            f"{counts['window_records']} window records routed but {counts['valid']} events written"
        )
    return (not problems, problems)


# ---------------------------------------------------------------------------------------------- 5 publish


def publish(
    spark: SparkSession,
    cfg: RunConfig,
    prior: Prior,
    routed: Routed,
    staged: Staged,
    counts: dict[str, Any],
    started: dt.datetime,
    t0: float,
) -> RunResult:
    """Stage 5: move the staged partitions into version folders, write the manifest, then the pointer."""
    _step("publish", f"publishing into {cfg.output_uri}")
    published, entries = pub.move_versions(spark, cfg, staged.by_dataset())
    entries.append(pub.move_state(spark, cfg, staged.uri("state")))
    manifest = {
        "run_id": cfg.run_id,
        "started_at": _utc_text(started),
        "finished_at": _utc_text(dt.datetime.now(dt.UTC)),
        "rules_version": cfg.rules.rules_version,
        "rules": cfg.rules.to_dict(),
        "input": cfg.input_uri,
        "input_files": routed.input_files,
        "format": cfg.fmt,
        "output": cfg.output_uri,
        "quarantine_output": cfg.quarantine_root,
        "window": {**cfg.window.to_dict(), "lookback_hours": cfg.lookback_hours},
        "continued_from_state": prior.state_uri is not None,
        "counts": counts,
        "reconciled": True,
        "partitions": published,
        "elapsed_s": round(time.monotonic() - t0, 1),
    }
    manifest_uri = join_uri(cfg.output_uri, "manifests", f"run_id={cfg.run_id}.json")
    # One line: BigQuery reads manifests as an external NEWLINE_DELIMITED_JSON table (DuckDB reads either).
    # Readers see it only once the pointer names this run.
    io.write_text(spark, manifest_uri, json.dumps(manifest, sort_keys=True) + "\n")
    if erasure.load_erased_ids(spark, cfg.output_uri) != routed.erased_ids:
        # An erasure was recorded after this run read the list: publishing could bring the visitor back.
        io.delete(spark, staged.root)
        raise ReconciliationError(
            "a visitor was erased while this run worked — nothing was published: re-run"
        )
    pub.commit(spark, cfg, entries, prior.pointer, dt.datetime.now(dt.UTC))
    staged.delete(spark, separate_quarantine=bool(cfg.quarantine_uri))
    _step("publish", f"done in {manifest['elapsed_s']}s; manifest {manifest_uri}")
    return RunResult(manifest=manifest, manifest_uri=manifest_uri, counts=counts)


def _utc_text(t: dt.datetime) -> str:
    return t.replace(microsecond=0).isoformat().replace("+00:00", "Z")


# ------------------------------------------------------------------------------------------------ helpers


def _materialise(df: DataFrame, eager: bool = True) -> DataFrame:
    """Compute ``df`` once for its several consumers, keeping it on the executors.

    ``eager=False`` only marks it: the first job that reads the result computes and keeps it (for a
    result whose first consumer follows at once, so it needs no job of its own).

    Both forms keep the plan's partitioning (by visitor) and sort order, so the per-session and
    per-visitor aggregates and the writes that follow need no shuffle or sort. Local mode:
    ``localCheckpoint`` (row blocks; building Spark's compressed columnar cache was half of the job's
    CPU), stored serialized (:data:`SERIALIZED_MEMORY_AND_DISK`), with adaptive execution off
    (:mod:`caec_spark.session`; with it on, a checkpoint forgets its partitioning). On a cluster:
    ``persist``, because a lost executor (Spot nodes) must mean recomputing its partitions, not a failed
    job.
    """
    spark = df.sparkSession
    if _local(spark) and str(spark.conf.get("spark.sql.adaptive.enabled", "true")).lower() == "false":
        return df.localCheckpoint(eager=eager, storageLevel=SERIALIZED_MEMORY_AND_DISK)
    df = df.persist(StorageLevel.MEMORY_AND_DISK)
    if eager:
        df.count()
    return df


def _local(spark: SparkSession) -> bool:
    """Spark runs in this process (``local[N]``): one machine's cores, no executors to lose."""
    return (spark.sparkContext.master or "").startswith("local")


def _by_route(route_counts: RouteCounts) -> dict[str, int]:
    out: dict[str, int] = {}
    for (r, _), n in route_counts.items():
        out[r] = out.get(r, 0) + n
    return out


def _write(df: DataFrame, uri: str, dataset: str, partition: str, sort: list[str] | None = None) -> None:
    """Parquet of ``dataset`` partitioned by ``partition`` (its columns in
    :data:`caec_spark.publish.PLAIN_COLUMNS` without a dictionary).

    With ``sort`` (small outputs): one file per partition value, sorted by it. Without: each task writes
    its rows in their cached order (events and sessions are clustered by visitor there) into one file per
    partition value it holds, keeping those writers open at once (``spark.sql.maxConcurrentOutputFileWriters``
    in :mod:`caec_spark.session`), so the largest outputs are written with no shuffle and no sort. Locally
    the cached partitions are first coalesced (no shuffle) into one task per core: one file per date per
    core instead of one per date per shuffle partition. A cluster keeps its partitions (adaptive execution
    sized them; with dynamic allocation the cores present at write time say little about the job's).
    """
    if sort is not None:
        df = df.repartition(partition).sortWithinPartitions(partition, *sort)
    elif _local(df.sparkSession):
        df = df.coalesce(max(1, df.sparkSession.sparkContext.defaultParallelism))
    pub.without_dictionary(df.write.mode("overwrite").partitionBy(partition), dataset).parquet(uri)
