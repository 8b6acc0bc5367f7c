"""The sessionize job: raw logs for [start, end) -> events/, sessions/, quarantine/, manifests/.

Stages (each logs a progress line on stderr):
  1 list   - input files; with a dt=YYYY-MM-DD layout only the days the window needs are read
  2 read   - numbered raw lines (splitter: gzip, encoding, corrupt and empty files)
  3 parse  - format parser -> canonical parsed record; validate -> quarantine reason
  4 route  - quarantine / filtered / window / look-back context
  5 state  - previous visitor state (``_state/visitors/as_of=<start>``, resolved through the publish
             pointer) or, without it, the look-back
  6 sessionize + bots + sessions
  7 write  - everything staged under ``_tmp/<run_id>/``; reconcile counts
  8 publish - produced partitions moved into new ``v=<run_id>`` folders, manifest, then the pointer
             (the publish itself), then garbage collection (:mod:`caec_spark.publish`)
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from caec_spark import erasure, io
from caec_spark import publish as pub
from caec_spark.config import RunConfig, join_uri
from caec_spark.formats import parse
from caec_spark.log import progress
from caec_spark.transforms.enrich import enrich, event_id_col, mask_ips, with_user_agent_classes
from caec_spark.transforms.sessionize import anchors_from, sessionize
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
    "item_id",
    "category",
    "brand",
    "price",
    "transaction_id",
    "revenue",
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
STAGE_COUNT = 8
# Local checkpoints keep their row blocks serialized: one byte buffer per block instead of millions of row
# objects. Spark's default for them (deserialized) did not fit a 12g heap's storage memory at 10M events:
# blocks spilled to disk, were re-read by every later step and failed to re-cache each time (a Spark-only
# 10M A/B pair: 572 s -> 502 s; on a run that fits in memory the two forms took the same time).
# PySpark's MEMORY_AND_DISK is this level (deserialized=False); spelled out so that stays visible.
SERIALIZED_MEMORY_AND_DISK = StorageLevel(useDisk=True, useMemory=True, useOffHeap=False, deserialized=False)


class ReconciliationError(RuntimeError):
    """Counts do not add up: something was lost or double counted; nothing was published."""


@dataclass
class RunResult:
    manifest: dict[str, Any]
    manifest_uri: str
    counts: dict[str, Any] = field(default_factory=dict)


def _stage(n: int, name: str, msg: str) -> None:
    progress(f"{n}/{STAGE_COUNT} {name}", msg)


def _ts(d: dt.date) -> dt.datetime:
    return dt.datetime(d.year, d.month, d.day)


def run(spark: SparkSession, cfg: RunConfig) -> RunResult:
    """Run the job for ``cfg`` and return the manifest (raises ReconciliationError before publishing)."""
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    t0 = time.monotonic()
    rules = cfg.rules
    start_ts, end_ts = _ts(cfg.start), _ts(cfg.end)
    lookback_ts = start_ts - dt.timedelta(hours=cfg.lookback_hours)
    # Every earlier output this run reads (state, previous day's events, earlier sessions) is resolved
    # through the pointer read here, so the run builds on one published state even if another publishes.
    pointer = pub.load_pointer(spark, cfg.output_uri)
    pub.remove_stale_tmp(spark, cfg, started)
    roots = pub.datasets(cfg)
    prior_state_uri = pub.published_uri(pointer, pub.STATE, roots[pub.STATE], cfg.start.isoformat())
    has_state = prior_state_uri is not None
    stage_root = join_uri(cfg.output_uri, "_tmp", cfg.run_id)
    q_stage_root = (
        join_uri(cfg.quarantine_root, "_tmp", cfg.run_id)
        if cfg.quarantine_uri
        else join_uri(stage_root, "quarantine")
    )

    # 1 list
    first_day = cfg.start if has_state else lookback_ts.date()
    last_day = cfg.end - dt.timedelta(days=1) + dt.timedelta(days=rules.late_arrival_days)
    all_files = io.list_input_files(spark, cfg.input_uri)
    files = io.select_files(all_files, first_day, last_day)
    _stage(
        1,
        "list",
        f"{len(files)} of {len(all_files)} file(s) under {cfg.input_uri} needed for days {first_day}..{last_day}",
    )
    if not files:
        raise FileNotFoundError(
            f"no input files for days {first_day}..{last_day} under {cfg.input_uri} "
            "(expected files, a glob, or dt=YYYY-MM-DD/ day directories)"
        )

    # 2-3 read + parse + validate
    _stage(2, "read", f"reading {len(files)} file(s) as {cfg.fmt} (gzip detected by magic bytes)")
    lines = io.read_lines(spark, files, cfg.fmt)
    _stage(3, "parse", "parsing and validating records")
    classified = classify(parse(lines, cfg.fmt), rules, started.replace(tzinfo=None))

    # 4 route
    in_window_file = F.col("file_dt").isNull() | (
        (F.col("file_dt") >= F.lit(cfg.start.isoformat())) & (F.col("file_dt") < F.lit(cfg.end.isoformat()))
    )
    ts = F.col("event_ts")
    route = (
        F.when(F.col("reason").isNotNull() & in_window_file, "quarantine")
        .when(F.col("reason").isNotNull(), "filtered_context_file")
        .when(F.col("filter_reason").isNotNull(), F.concat(F.lit("filtered_"), F.col("filter_reason")))
        .when((ts >= F.lit(start_ts)) & (ts < F.lit(end_ts)), "window")
        .when(F.lit(not has_state) & (ts >= F.lit(lookback_ts)) & (ts < F.lit(start_ts)), "context")
        .otherwise("filtered_outside_window")
    )
    # Erased visitors (the ledger's hashed ids) are filtered before anything else, counted by reason.
    erased_ids = erasure.load_erased_ids(spark, cfg.output_uri)
    erased = erasure.erased_record(erased_ids, cfg.salt)
    if erased is not None:
        route = F.when(erased, F.lit(f"filtered_{erasure.FILTER_REASON}")).otherwise(route)
    routed = (
        classified.withColumn("route", route)
        .withColumn("source_format", F.lit(cfg.fmt))
        .withColumn("event_id", F.when(F.col("route").isin("window", "context"), event_id_col()))
        # What is cached is re-read by every later step: keep the raw text only where it is written
        # (quarantine) and drop the parser's working columns.
        .withColumn("raw", F.when(F.col("route") == "quarantine", F.col("raw")))
        .drop("ts_text", "event_type_raw", "parse_reason", "parse_detail", "filter_reason")
    )
    routed = _materialise(routed)
    route_counts = {
        (r["route"], r["reason"]): int(r["n"])
        for r in routed.groupBy("route", "reason").agg(F.count(F.lit(1)).alias("n")).collect()
    }
    read = sum(route_counts.values())
    _stage(
        4,
        "route",
        f"{read} record(s) read: "
        + ", ".join(f"{k}={v}" for k, v in sorted(_by_route(route_counts).items())),
    )

    # quarantine rows
    raw_trunc = F.octet_length("raw") > F.lit(rules.quarantine_raw_chars)
    quarantine = routed.where(F.col("route") == "quarantine").select(
        "reason",
        "detail",
        mask_ips(F.substring(F.coalesce("raw", F.lit("")), 1, rules.quarantine_raw_chars)).alias("raw"),
        F.coalesce(raw_trunc, F.lit(False)).alias("raw_truncated"),
        "source_format",
        "source_file",
        "source_line",
        F.coalesce(F.col("file_dt").cast("date"), F.lit(cfg.start)).alias("ingest_date"),
        F.lit(cfg.run_id).alias("run_id"),
    )

    # 5 state
    events_in = enrich(routed.where(F.col("route").isin("window", "context")), cfg.salt)
    anchors: DataFrame | None = None
    if prior_state_uri is not None:
        anchors = spark.read.parquet(prior_state_uri)
        _stage(5, "state", f"continuing from visitor state {prior_state_uri}")
    else:
        _stage(
            5,
            "state",
            f"no published state as of {cfg.start}: using a {cfg.lookback_hours} h look-back from {lookback_ts}",
        )

    # 6 sessionize
    _stage(
        6,
        "sessionize",
        f"rules {rules.rules_version}: timeout {rules.inactivity_timeout_s}s, max {rules.max_session_s}s",
    )
    base_cols = [c for c in EVENT_COLUMNS if c not in ("is_bot", "bot_reason", "rules_version", "run_id")]
    state_cols = ["session_index", "run_start_t", "session_start_t", "route"]
    # Only the output columns travel through the shuffle and sort (not raw text or parser temporaries).
    pre_cols = [c for c in base_cols if c not in ("session_id", "seq_in_session")]
    sessionized = sessionize(events_in.select(*pre_cols, "crawler", "route"), anchors, rules).select(
        *base_cols, "crawler", *state_cols
    )
    prev_day = cfg.start - dt.timedelta(days=1)
    prev_events_uri = pub.published_uri(pointer, "events", roots["events"], prev_day.isoformat())
    old_prev_events: DataFrame | None = None
    rows = sessionized
    if anchors is not None and prev_events_uri is not None:
        # Earlier events of sessions continuing into the window come from the published previous day.
        old_prev_events = spark.read.parquet(prev_events_uri).withColumn("event_date", F.lit(prev_day))
        # Only a visitor's last session before the window (its anchor's) can continue into it: keep
        # that session's events of the previous day; the window filter below drops those that do not
        # continue after all. (Unioning the whole day would double a daily run's sort.)
        open_sessions = anchors.select("visitor_id", "session_id")
        earlier_events = old_prev_events.join(open_sessions, ["visitor_id", "session_id"], "left_semi")
        # published events keep their user agent, so the crawler evidence is looked up again
        earlier = with_user_agent_classes(earlier_events.drop("device_type")).select(
            *base_cols,
            "crawler",
            # session_index of a continued session comes from its window events (max ignores these nulls)
            F.lit(None).cast("int").alias("session_index"),
            F.lit(None).cast("long").alias("run_start_t"),
            F.lit(None).cast("long").alias("session_start_t"),
            F.lit("earlier").alias("route"),
        )
        rows = rows.unionByName(earlier)
    # Look-back context and earlier rows count only as parts of sessions that reach into the window.
    has_window = F.max((F.col("route") == "window").cast("int")).over(session_window()) == 1
    all_rows = (
        with_session_bots(rows, rules, has_window.alias("_has_window"))
        .withColumn("_window", F.col("event_ts") >= F.lit(start_ts))
        .withColumn("rules_version", F.lit(rules.rules_version))
        .withColumn("run_id", F.lit(cfg.run_id))
    )
    # Materialise now: every output below reads these rows and would otherwise sessionize anew.
    all_rows = _materialise(all_rows)
    n_rows = all_rows.count()
    _stage(6, "sessionize", f"{n_rows} event(s) sessionized")
    full = all_rows.where(F.col("_has_window"))
    touched = all_rows.where(F.col("route") == "window").select("session_id").distinct()
    sessions = _materialise(build_sessions(full, rules, cfg.run_id))

    # 7 write (staged)
    _stage(7, "write", f"staging under {stage_root}")
    events_out = full.where(F.col("_window")).select(*EVENT_COLUMNS)
    staged_events = join_uri(stage_root, "events")
    _write(events_out, staged_events, "event_date")
    if old_prev_events is not None:
        updated_prev = full.where(~F.col("_window")).select(*EVENT_COLUMNS)
        kept = old_prev_events.join(touched, "session_id", "left_anti").select(*EVENT_COLUMNS)
        _write(
            kept.unionByName(updated_prev),
            join_uri(stage_root, "events_prev"),
            "event_date",
            ["visitor_id", "event_ts", "event_id"],
        )
    early_dates = [
        r["session_date"]
        for r in sessions.where(F.col("session_date") < F.lit(cfg.start))
        .select("session_date")
        .distinct()
        .collect()
    ]
    sessions_out = sessions
    for d in early_dates:
        old_uri = pub.published_uri(pointer, "sessions", roots["sessions"], d.isoformat())
        if old_uri is not None:
            old = spark.read.parquet(old_uri).withColumn("session_date", F.lit(d)).select(*sessions.columns)
            sessions_out = sessions_out.unionByName(old.join(touched, "session_id", "left_anti"))
    _write(sessions_out, join_uri(stage_root, "sessions"), "session_date")
    _write(quarantine, q_stage_root, "ingest_date", ["source_file", "source_line"])
    new_state = anchors_from(all_rows.where(F.col("route") != "earlier"), anchors)
    new_state.write.mode("overwrite").parquet(join_uri(stage_root, "state"))

    # Count the events as written (read back from the staged files: two boolean columns and the row
    # counts), not by another pass over the sessionized rows: the check is then on what will be published.
    written_events = spark.read.schema(events_out.schema).parquet(staged_events)
    counts = _counts(route_counts, written_events, sessions, cfg)
    ok, problems = reconcile(counts)
    _stage(
        7, "write", "counts " + json.dumps({k: v for k, v in counts.items() if k != "quarantined_by_reason"})
    )
    if not ok:
        io.delete(spark, stage_root)
        raise ReconciliationError("; ".join(problems) + " — nothing was published")

    # 8 publish
    _stage(8, "publish", f"publishing into {cfg.output_uri}")
    staged = {
        "events": [staged_events, join_uri(stage_root, "events_prev")],
        "sessions": [join_uri(stage_root, "sessions")],
        "quarantine": [q_stage_root],
    }
    published, entries = pub.move_versions(spark, cfg, staged)
    entries.append(pub.move_state(spark, cfg, join_uri(stage_root, "state")))
    for df in (routed, all_rows, sessions):
        df.unpersist()

    manifest = {
        "run_id": cfg.run_id,
        "started_at": started.isoformat().replace("+00:00", "Z"),
        "finished_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "rules_version": rules.rules_version,
        "rules": rules.to_dict(),
        "input": cfg.input_uri,
        "input_files": len(files),
        "format": cfg.fmt,
        "output": cfg.output_uri,
        "quarantine_output": cfg.quarantine_root,
        "window": {
            "start": cfg.start.isoformat(),
            "end": cfg.end.isoformat(),
            "lookback_hours": cfg.lookback_hours,
        },
        "continued_from_state": has_state,
        "counts": counts,
        "reconciled": ok,
        "partitions": published,
        "elapsed_s": round(time.monotonic() - t0, 1),
    }
    manifest_uri = join_uri(cfg.output_uri, "manifests", f"run_id={cfg.run_id}.json")
    # One line: BigQuery reads manifests as an external NEWLINE_DELIMITED_JSON table (DuckDB reads either).
    # Readers see it only once the pointer names this run.
    io.write_text(spark, manifest_uri, json.dumps(manifest, sort_keys=True) + "\n")
    if erasure.load_erased_ids(spark, cfg.output_uri) != erased_ids:
        # An erasure was recorded after this run read the list: publishing could bring the visitor back.
        io.delete(spark, stage_root)
        raise ReconciliationError(
            "a visitor was erased while this run worked — nothing was published: re-run"
        )
    pub.commit(spark, cfg, entries, pointer, dt.datetime.now(dt.UTC))
    io.delete(spark, stage_root)
    if cfg.quarantine_uri:
        io.delete(spark, q_stage_root)
    _stage(8, "publish", f"done in {manifest['elapsed_s']}s; manifest {manifest_uri}")
    return RunResult(manifest=manifest, manifest_uri=manifest_uri, counts=counts)


def _materialise(df: DataFrame) -> DataFrame:
    """Compute ``df`` once for its several consumers, keeping it on the executors.

    Both forms keep the plan's partitioning (by visitor) and sort order, so the per-session and
    per-visitor aggregates and the writes that follow need no shuffle or sort. Local mode:
    ``localCheckpoint`` (row blocks; building Spark's compressed columnar cache was half of the job's
    CPU), stored serialized (:data:`SERIALIZED_MEMORY_AND_DISK`), with adaptive execution off
    (:mod:`caec_spark.session`; with it on, a checkpoint forgets its partitioning). On a cluster:
    ``persist``, because a lost executor (Spot nodes) must mean recomputing its partitions, not a failed
    job.
    """
    spark = df.sparkSession
    local = (spark.sparkContext.master or "").startswith("local")
    if local and str(spark.conf.get("spark.sql.adaptive.enabled", "true")).lower() == "false":
        return df.localCheckpoint(eager=True, storageLevel=SERIALIZED_MEMORY_AND_DISK)
    df = df.persist(StorageLevel.MEMORY_AND_DISK)
    df.count()
    return df


def _by_route(route_counts: dict[tuple[str, str | None], int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for (r, _), n in route_counts.items():
        out[r] = out.get(r, 0) + n
    return out


def _write(df: DataFrame, uri: str, partition: str, sort: list[str] | None = None) -> None:
    """Parquet partitioned by ``partition``.

    With ``sort`` (small outputs): one file per partition value, sorted by it. Without: each task writes
    its rows in their cached order (events and sessions are clustered by visitor there) into one file per
    partition value it holds, keeping those writers open at once (``spark.sql.maxConcurrentOutputFileWriters``
    in :mod:`caec_spark.session`), so the largest outputs are written with no shuffle and no sort.
    """
    if sort is not None:
        df = df.repartition(partition).sortWithinPartitions(partition, *sort)
    df.write.mode("overwrite").partitionBy(partition).parquet(uri)


def _counts(
    route_counts: dict[tuple[str, str | None], int],
    events_written: DataFrame,
    sessions: DataFrame,
    cfg: RunConfig,
) -> dict[str, Any]:
    """The manifest counts: routing counts, the written events (valid/bot/late) and the session records."""
    by_route = _by_route(route_counts)
    read = sum(by_route.values())
    quarantined = by_route.get("quarantine", 0)
    window = by_route.get("window", 0)
    filtered = read - quarantined - window
    ev = events_written.agg(
        F.count(F.lit(1)).alias("valid"),
        F.sum(F.col("is_bot").cast("int")).alias("bot"),
        F.sum(F.col("is_late").cast("int")).alias("late"),
    ).collect()[0]
    in_window = (F.col("session_date") >= F.lit(cfg.start)) & (F.col("session_date") < F.lit(cfg.end))
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
        "window_records": window,
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


def reconcile(counts: dict[str, Any]) -> tuple[bool, list[str]]:
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
