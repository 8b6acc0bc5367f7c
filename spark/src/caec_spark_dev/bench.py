"""``make bench-spark``: the Spark job, its DuckDB twin and a gap-only DuckDB query on the same files.

Sizes: 100k, 1M and 10M generated events (``--sizes`` / ``BENCH_SIZES``, e.g. ``100k,1m``; ``20k`` is a
quick smoke size), 30 days of jsonl.gz. Every input is generated (or reused) before the first timing
starts. Then, per size, ``--repeat`` rounds (default 3) of three runs, one after the other (never
concurrently), each in its own process tree:

- ``spark``: ``python -m caec_spark sessionize`` (local mode, the bench's memory and threads);
- ``duckdb twin``: the job's own rules and outputs in DuckDB SQL (:mod:`caec_spark_dev.duck`: quarantine
  with reasons, visitor hashes, event ids, bots, max-length sessions, session records, state). Its counts
  must equal the Spark run's (``agree``), so the ratio compares two engines doing one job;
- ``duckdb gap-only``: only the 30-minute strict-gap rule (lag + running sum) and two Parquet writes.

Both engines get the same memory budget (``--memory``, default 12g: Spark's driver heap, DuckDB's
``memory_limit``) and threads. Each run reports wall seconds, CPU seconds of its whole process tree
(children's rusage, exact) and peak memory (a /proc sampler costing under 1% of a core, ~0.2% on
Spark runs; see :mod:`caec_spark_dev.measure`), events/s, and the ratio of Spark's wall time to each DuckDB
run's; with several rounds, the medians of wall and CPU seconds and the highest peak (every round's own
figures are in ``results.json``). The issue-18 targets are checked on Spark's (median) wall time: 100k <=
20 s, 1M <= 40 s, 10M <= 150 s, and events/s at 10M >= at 1M. Prints a Markdown table (also
``<out>/results.md``) and writes ``<out>/results.json``; exits 1 when the engines' counts disagree in any
round. A target missed is reported, not an error. The 10M staging output stays in ``<out>/10m/staging``
(``make bench-dbt`` reuses it); raw inputs in ``<out>/<size>/raw``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from caec_spark.config import SALT_ENV
from caec_spark_dev.measure import Measured, measure

BENCH_SALT = "bench"  # both engines hash visitors with it, so their session ids can be compared
SIZES = {"20k": 20_000, "100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}  # 20k: a quick smoke size
DEFAULT_SIZES = "100k,1m,10m"
DEFAULT_REPEAT = 3
# issue 18: Spark wall seconds per size on 2 quiet cores
TARGET_WALL_S = {"100k": 20.0, "1m": 40.0, "10m": 150.0}
# 30 days: the dbt benchmark reuses the 10M output for its day-2 vs day-30 incremental figure.
START, DAYS = "2026-10-01", 30
ENGINES = ("spark", "duckdb_twin", "duckdb_gap")
ENGINE_LABELS = {"spark": "Spark job", "duckdb_twin": "DuckDB twin", "duckdb_gap": "DuckDB gap-only"}

DUCKDB_GAP_SQL = """
SET threads TO {threads};
SET memory_limit = '{memory}';
CREATE OR REPLACE TEMP VIEW raw AS
SELECT * FROM read_json('{raw}/dt=*/*.jsonl.gz', format='newline_delimited', ignore_errors=true,
  columns={{event_ts:'VARCHAR', visitor_id:'VARCHAR', ip:'VARCHAR', user_agent:'VARCHAR', event_type:'VARCHAR',
           page_url:'VARCHAR', referrer:'VARCHAR', item_id:'VARCHAR', price:'DOUBLE', revenue:'DOUBLE',
           transaction_id:'VARCHAR'}});
CREATE OR REPLACE TEMP TABLE ev AS
SELECT sha256('{salt}|id:' || visitor_id)[1:32] AS visitor_id, TRY_CAST(event_ts AS TIMESTAMPTZ) AS ts, event_type,
       page_url, referrer, user_agent, item_id, price, coalesce(revenue, 0) AS revenue, transaction_id
FROM raw
WHERE TRY_CAST(event_ts AS TIMESTAMPTZ) >= TIMESTAMPTZ '{start} 00:00:00+00'
  AND TRY_CAST(event_ts AS TIMESTAMPTZ) < TIMESTAMPTZ '{start} 00:00:00+00' + INTERVAL {days} DAY
  AND visitor_id IS NOT NULL;
CREATE OR REPLACE TEMP TABLE sess AS
WITH g AS (
  SELECT *, CASE WHEN lag(ts) OVER w IS NULL OR epoch(ts) - epoch(lag(ts) OVER w) > 1800 THEN 1 ELSE 0 END AS new_s
  FROM ev WINDOW w AS (PARTITION BY visitor_id ORDER BY ts)
)
SELECT *, sum(new_s) OVER (PARTITION BY visitor_id ORDER BY ts ROWS UNBOUNDED PRECEDING) AS sn FROM g;
COPY (SELECT *, CAST(ts AS DATE) AS event_date FROM sess) TO '{out}/events' (FORMAT parquet, PARTITION_BY (event_date), OVERWRITE_OR_IGNORE);
COPY (
  SELECT visitor_id, sn, min(ts) AS session_start, max(ts) AS session_end, count(*) AS event_count,
         sum(CASE WHEN event_type = 'purchase' THEN revenue ELSE 0 END) AS revenue,
         bool_or(event_type = 'purchase') AS is_converted, CAST(min(ts) AS DATE) AS session_date
  FROM sess GROUP BY visitor_id, sn
) TO '{out}/sessions' (FORMAT parquet, PARTITION_BY (session_date), OVERWRITE_OR_IGNORE);
"""


def parse_sizes(text: str) -> list[str]:
    """``"100k,1M"`` -> ``["100k", "1m"]``; unknown sizes are a usage error."""
    sizes = [t.strip().lower() for t in text.split(",") if t.strip()]
    unknown = [t for t in sizes if t not in SIZES]
    if unknown or not sizes:
        raise argparse.ArgumentTypeError(
            f"sizes must be a comma-separated subset of {','.join(SIZES)}: {text!r}"
        )
    return sizes


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1: {text!r}")
    return n


def generate_input(raw: Path, events: int) -> int:
    """Generated jsonl.gz days for ``events`` (reused when the same config is there); the line count."""
    summary = raw / "_truth" / "summary.json"
    config = json.loads(summary.read_text()).get("config", {}) if summary.exists() else {}
    wanted = {"events": events, "days": DAYS, "start": START}
    if any(config.get(k) != v for k, v in wanted.items()):
        if raw.exists():
            shutil.rmtree(raw)
        print(f"bench: generating {events} events over {DAYS} days into {raw}", flush=True)
        gen = subprocess.run(
            [sys.executable, "-m", "caec_spark_dev", "generate", "--events", str(events), "--format", "jsonl",
             "--seed", "42", "--output", str(raw), "--start", START, "--days", str(DAYS)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if gen.returncode != 0:
            raise SystemExit(f"bench: generating {raw} failed:\n{gen.stderr[-3000:]}")
    else:
        print(f"bench: reusing {raw}", flush=True)
    return int(json.loads(summary.read_text())["lines"])


def _duck_memory(memory: str) -> str:
    """Spark-style ``12g`` as DuckDB's ``12GB``."""
    m = memory.strip().lower()
    return m[:-1] + "GB" if m.endswith("g") else m[:-1] + "MB" if m.endswith("m") else memory


def _engine(m: Measured, records: int, load: float) -> dict[str, Any]:
    return {
        "wall_s": round(m.wall_s, 2),
        "cpu_s": round(m.cpu_s, 2),
        "peak_mb": round(m.peak_mb),
        "tree_rss_peak_mb": round(m.tree_rss_peak_mb),
        "max_hwm_mb": round(m.max_hwm_mb),
        "events_per_s": round(records / m.wall_s) if m.wall_s > 0 else 0,
        "sampler_share": round(m.sampler_share, 5),
        "samples": m.samples,
        "peak_processes": [f"{name} {mb} MB" for name, mb in m.peak_processes],
        "load_avg_before": round(load, 2),
    }


def _run(name: str, cmd: list[str], log: Path, stdout: Path | None = None, env: dict[str, str] | None = None,
         interval: float = 0.5) -> tuple[Measured, float]:  # fmt: skip
    load = os.getloadavg()[0]
    m = measure(cmd, env=env, stdout=stdout, stderr=log, interval=interval)
    if m.returncode != 0:
        raise SystemExit(f"bench: {name} failed (exit {m.returncode}), see {log}")
    return m, load


def run_size(
    out: Path, name: str, records: int, threads: int, memory: str, interval: float, repeat: int = 1
) -> dict[str, Any]:
    """``repeat`` rounds of the three runs of one size, one after the other, on inputs generated beforehand.

    Rounds alternate the engines (spark, twin, gap, spark, ...) rather than running one engine ``repeat``
    times, so a slow spell of a shared machine falls on all three. Each engine's figures are the medians
    over the rounds (:func:`summarise`); the counts must agree in every round.
    """
    base = out / name
    raw, staging, twin_out, gap_out = (
        base / "raw",
        base / "staging",
        base / "duckdb-twin",
        base / "duckdb-gap",
    )
    end = (dt.date.fromisoformat(START) + dt.timedelta(days=DAYS)).isoformat()
    env = dict(os.environ)
    env["PYSPARK_SUBMIT_ARGS"] = f"--driver-memory {memory} pyspark-shell"
    env.setdefault("CAEC_SHUFFLE_PARTITIONS", "8")
    env[SALT_ENV] = BENCH_SALT
    sql = DUCKDB_GAP_SQL.format(
        raw=raw,
        out=gap_out,
        start=START,
        days=DAYS,
        threads=threads,
        salt=BENCH_SALT,
        memory=_duck_memory(memory),
    )
    (base / "duckdb-gap.sql").write_text(sql)
    runs: dict[str, list[dict[str, Any]]] = {e: [] for e in ENGINES}
    agreed: list[bool] = []
    for round_no in range(1, repeat + 1):
        of = f" (round {round_no} of {repeat})" if repeat > 1 else ""
        shutil.rmtree(staging, ignore_errors=True)
        print(f"bench: {name} spark job{of} ...", flush=True)
        spark, spark_load = _run(
            "spark job",
            [sys.executable, "-m", "caec_spark", "sessionize", "--input", str(raw), "--format", "jsonl",
             "--output", str(staging), "--start", START, "--end", end, "--run-id", f"bench-{name}",
             "--master", f"local[{threads}]"],
            base / "spark.log", env=env, interval=interval,
        )  # fmt: skip
        manifest = json.loads((staging / "manifests" / f"run_id=bench-{name}.json").read_text())
        print(f"bench: {name} duckdb twin (the job's rules in DuckDB SQL){of} ...", flush=True)
        twin_counts = base / "duckdb-twin.json"
        twin, twin_load = _run(
            "duckdb twin",
            [sys.executable, "-m", "caec_spark_dev.duck", "--input", f"{raw}/dt=*/*.jsonl.gz", "--output",
             str(twin_out), "--start", START, "--end", end, "--salt", BENCH_SALT, "--threads", str(threads),
             "--memory-limit", _duck_memory(memory)],
            base / "duckdb-twin.log", stdout=twin_counts, interval=interval,
        )  # fmt: skip
        shutil.rmtree(gap_out, ignore_errors=True)
        gap_out.mkdir(parents=True)
        print(f"bench: {name} duckdb gap-only{of} ...", flush=True)
        script = f"import duckdb; duckdb.connect().execute(open({str(base / 'duckdb-gap.sql')!r}).read())"
        gap, gap_load = _run(
            "duckdb gap-only", [sys.executable, "-c", script], base / "duckdb-gap.log", interval=interval
        )
        runs["spark"].append(_engine(spark, records, spark_load))
        runs["duckdb_twin"].append(_engine(twin, records, twin_load))
        runs["duckdb_gap"].append(_engine(gap, records, gap_load))
        agreed.append(agree(manifest["counts"], json.loads(twin_counts.read_text())))
    engines = {e: summarise(runs[e], records) for e in ENGINES}
    return {
        "size": name,
        "records": records,
        "repeat": repeat,
        "engines": engines,
        "ratio_spark_over_twin": round(engines["spark"]["wall_s"] / engines["duckdb_twin"]["wall_s"], 2),
        "ratio_spark_over_gap": round(engines["spark"]["wall_s"] / engines["duckdb_gap"]["wall_s"], 2),
        "counts_agree": all(agreed),
    }


def summarise(runs: list[dict[str, Any]], records: int) -> dict[str, Any]:
    """One engine's rounds as one set of figures: median wall and CPU seconds (a middle run, so one
    disturbed round moves nothing), the fastest and slowest wall, the highest peak memory (what the engine
    may need), the largest sampler share; every round's own figures stay in ``runs``."""
    wall = statistics.median(r["wall_s"] for r in runs)
    peak = max(runs, key=lambda r: r["peak_mb"])
    return {
        "wall_s": round(wall, 2),
        "wall_min_s": min(r["wall_s"] for r in runs),
        "wall_max_s": max(r["wall_s"] for r in runs),
        "cpu_s": round(statistics.median(r["cpu_s"] for r in runs), 2),
        "peak_mb": peak["peak_mb"],
        "peak_processes": peak["peak_processes"],
        "events_per_s": round(records / wall) if wall > 0 else 0,
        "sampler_share": max(r["sampler_share"] for r in runs),
        "runs": runs,
    }


def agree(spark_counts: dict[str, Any], duck_counts: dict[str, Any]) -> bool:
    """Both engines read, quarantined, kept and flagged the same numbers of records and sessions."""
    keys = ("read", "quarantined", "valid", "bot", "sessions")
    return all(spark_counts.get(k) == duck_counts.get(k) for k in keys)


def targets(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue-18 targets that the measured sizes can decide: Spark wall per size, and linearity."""
    by_size = {r["size"]: r for r in results}
    out: list[dict[str, Any]] = []
    for size, limit in TARGET_WALL_S.items():
        if size in by_size:
            wall = by_size[size]["engines"]["spark"]["wall_s"]
            repeat = by_size[size].get("repeat", 1)
            measured = f"{wall:.1f} s" + (f" (median of {repeat})" if repeat > 1 else "")
            out.append({"target": f"{_label(size)} events: Spark <= {limit:g} s wall", "measured": measured,
                        "holds": wall <= limit})  # fmt: skip
    if "1m" in by_size and "10m" in by_size:
        big, small = (by_size[s]["engines"]["spark"]["events_per_s"] for s in ("10m", "1m"))
        out.append({"target": "Spark events/s at 10M >= at 1M", "measured": f"{big:,} vs {small:,}",
                    "holds": big >= small})  # fmt: skip
    return out


def _label(size: str) -> str:
    return size[:-1] + size[-1].upper() if size.endswith("m") else size


def markdown(results: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    """The figures as Markdown the README can quote: one row per size and engine, then the targets."""
    lines = [
        f"`make bench-spark`, {meta['date']}, {meta['cpus']} cores (threads {meta['threads']}), memory "
        f"budget {meta['memory']}, load average {meta['load_avg_start']:.2f} at start; commit {meta['commit']}.",
        "",
        "| size | records | engine | wall s | CPU s | peak MB | events/s | Spark wall ÷ this | counts agree |",
        "|---|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        for engine in ENGINES:
            e = r["engines"][engine]
            ratio = {"spark": "1.00", "duckdb_twin": f"{r['ratio_spark_over_twin']:.2f}",
                     "duckdb_gap": f"{r['ratio_spark_over_gap']:.2f}"}[engine]  # fmt: skip
            agree_cell = ("yes" if r["counts_agree"] else "**NO**") if engine == "duckdb_twin" else ""
            lines.append(
                f"| {_label(r['size'])} | {r['records']:,} | {ENGINE_LABELS[engine]} | {_wall_cell(e)} | "
                f"{e['cpu_s']:.1f} | {e['peak_mb']:,} | {e['events_per_s']:,} | {ratio} | {agree_cell} |"
            )
    checks = targets(results)
    if checks:
        lines += ["", "| issue-18 target | measured | holds |", "|---|---|---|"]
        lines += [
            f"| {t['target']} | {t['measured']} | {'yes' if t['holds'] else '**no**'} |" for t in checks
        ]
    sampler = max((r["engines"][e]["sampler_share"] for r in results for e in ENGINES), default=0.0)
    repeat = max((r.get("repeat", 1) for r in results), default=1)
    rounds = (
        f"Each run {repeat} times, the engines alternating: wall s and CPU s are medians (fastest-slowest "
        "wall in brackets), peak MB the highest, and the targets are checked on the median. "
        if repeat > 1
        else ""
    )
    lines += [
        "",
        rounds + "CPU s: user + system of the whole process tree (JVM and Python workers included). Peak MB: "
        "largest sum of resident memory over the tree at a 0.5 s tick (a child forked from its parent's "
        "program counts its private pages), or the largest single VmHWM if higher. The memory sampler cost "
        f"at most {100 * sampler:.2f}% of one core (docs/benchmarks.md).",
    ]
    return "\n".join(lines) + "\n"


def _wall_cell(engine: dict[str, Any]) -> str:
    """``21.5`` for one run; ``21.5 (20.6-27.0)`` (median, fastest-slowest) for several."""
    cell = f"{engine['wall_s']:.1f}"
    if len(engine.get("runs", ())) > 1:
        cell += f" ({engine['wall_min_s']:.1f}-{engine['wall_max_s']:.1f})"
    return cell


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        )
    except OSError:
        return "unknown"
    return out.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m caec_spark_dev.bench", description=__doc__.splitlines()[0] if __doc__ else None
    )
    p.add_argument("--out", default=".out/bench", help="bench directory (raw inputs are reused)")
    p.add_argument(
        "--sizes", type=parse_sizes, default=DEFAULT_SIZES, help=f"comma-separated subset of {','.join(SIZES)} "
        f"(case-insensitive; default {DEFAULT_SIZES})",
    )  # fmt: skip
    p.add_argument("--threads", type=int, default=os.cpu_count() or 2, help="cores for both engines")
    p.add_argument(
        "--memory",
        default=os.environ.get("CAEC_BENCH_MEMORY", "12g"),
        help="memory budget for both engines: Spark's driver heap and DuckDB's memory_limit (default 12g)",
    )
    p.add_argument(
        "--interval", type=float, default=0.5, help="memory sampling interval in seconds (default 0.5)"
    )
    p.add_argument(
        "--repeat",
        type=_positive,
        default=DEFAULT_REPEAT,
        help=f"rounds per size, engines alternating; medians are reported (default {DEFAULT_REPEAT}: one "
        "run of a shared 2-core machine can land 10-25%% off another of the same code)",
    )
    args = p.parse_args(argv)
    sizes = args.sizes if isinstance(args.sizes, list) else parse_sizes(args.sizes)
    out = Path(args.out).resolve()
    records = {s: generate_input(out / s / "raw", SIZES[s]) for s in sizes}  # all inputs before any timing
    meta = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "threads": args.threads,
        "memory": args.memory,
        "load_avg_start": os.getloadavg()[0],
        "commit": _commit(),
        "host": platform.node(),
    }
    meta["repeat"] = args.repeat
    results = [
        run_size(out, s, records[s], args.threads, args.memory, args.interval, args.repeat) for s in sizes
    ]
    meta["load_avg_end"] = os.getloadavg()[0]
    text = markdown(results, meta)
    print("\n" + text)
    (out / "results.md").write_text(text)
    (out / "results.json").write_text(
        json.dumps({"meta": meta, "results": results, "targets": targets(results)}, indent=2) + "\n"
    )
    if not all(r["counts_agree"] for r in results):
        print(
            "bench: the engines' counts differ (see duckdb-twin.json and the Spark manifest)", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
