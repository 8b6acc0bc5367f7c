"""``make bench-spark``: Spark vs DuckDB sessionization of the same generated files (1M and 10M events).

For each size: generate jsonl.gz day files once (reused when present), run
``python -m caec_spark sessionize`` in a subprocess, then two DuckDB SQL sessionizations of the same files,
each in a subprocess:

- ``duckdb job``: the job's own rules and outputs in DuckDB SQL (:mod:`caec_spark_dev.duck`: quarantine with
  reasons, visitor hashes, event ids, bots, max-length sessions, session records, state). Its counts must
  equal the Spark run's (printed as ``agree``), so this ratio compares two engines doing one job.
- ``duckdb min``: only the 30-minute strict-gap rule (lag + running sum) and two Parquet writes, the
  comparator of earlier figures; kept so they stay comparable.

Both engines get the same memory budget (``--memory``, default 12g: Spark's driver heap, DuckDB's
``memory_limit``) and the same number of threads. Peak memory is the peak sum
of PSS over the process tree (JVM + Python workers), sampled every 0.2 s with psutil: PSS splits pages
that processes share (PySpark forks its workers from one daemon), where a sum of RSS would count them
once per process. Where PSS is unavailable (not Linux) it falls back to RSS. Prints events/s,
peak memory and both Spark/DuckDB time ratios, and writes them to ``<out>/results.json`` (also when the
engines' counts disagree, which exits 1). The 10M staging output stays in ``<out>/10m/staging`` (the dbt
benchmark reuses it); raw in ``<out>/10m/raw``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from caec_spark.config import SALT_ENV

BENCH_SALT = "bench"  # both engines hash visitors with it, so their session ids can be compared
SIZES = {"20k": 20_000, "1m": 1_000_000, "10m": 10_000_000}  # 20k: a quick smoke size
# 30 days: the dbt benchmark reuses the 10M output for its day-2 vs day-30 incremental figure.
START, DAYS = "2026-10-01", 30

DUCKDB_MIN_SQL = """
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


@dataclass
class Measured:
    seconds: float
    peak_mb: float
    returncode: int


def _proportional_bytes(p: psutil.Process) -> int:
    """PSS of one process (its share of shared pages), else RSS where the platform has no PSS."""
    try:
        return int(p.memory_full_info().pss)
    except (AttributeError, psutil.AccessDenied):
        return int(p.memory_info().rss)


def _measure(
    cmd: list[str], env: dict[str, str] | None = None, log: Path | None = None, stdout: Path | None = None
) -> Measured:
    """Run a command, sampling the memory (PSS) of its whole process tree; stderr goes to ``log``, stdout
    to ``stdout`` (both discarded when not given)."""
    t0 = time.monotonic()
    with open(log or os.devnull, "w") as err, open(stdout or os.devnull, "w") as so:
        proc = subprocess.Popen(cmd, env=env, stdout=so, stderr=err)
        peak = 0
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            try:
                root = psutil.Process(proc.pid)
            except psutil.NoSuchProcess:
                return
            while not stop.is_set():
                try:
                    procs = [root, *root.children(recursive=True)]
                    peak = max(peak, sum(_proportional_bytes(p) for p in procs if p.is_running()))
                except psutil.Error:
                    pass
                stop.wait(0.2)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        rc = proc.wait()
        stop.set()
        th.join()
    return Measured(time.monotonic() - t0, peak / 2**20, rc)


def _generate(raw: Path, events: int) -> int:
    summary = raw / "_truth" / "summary.json"
    config = json.loads(summary.read_text()).get("config", {}) if summary.exists() else {}
    wanted = {"events": events, "days": DAYS, "start": START}
    if any(config.get(k) != v for k, v in wanted.items()):
        if raw.exists():
            shutil.rmtree(raw)
        print(
            f"bench: generating {events} events over {DAYS} days into {raw} (once; reused after)", flush=True
        )
        subprocess.run(
            [sys.executable, "-m", "caec_spark_dev", "generate", "--events", str(events), "--format", "jsonl", "--seed", "42",
             "--output", str(raw), "--start", START, "--days", str(DAYS)],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    else:
        print(f"bench: reusing {raw}", flush=True)
    return int(json.loads(summary.read_text())["lines"])


def _duck_memory(memory: str) -> str:
    """Spark-style ``12g`` as DuckDB's ``12GB``."""
    m = memory.strip().lower()
    return m[:-1] + "GB" if m.endswith("g") else m[:-1] + "MB" if m.endswith("m") else memory


def run_size(out: Path, name: str, events: int, threads: int, memory: str) -> dict[str, object]:
    base = out / name
    raw, staging, duck_min, duck_job = base / "raw", base / "staging", base / "duckdb", base / "duckdb-job"
    lines = _generate(raw, events)
    start = dt.date.fromisoformat(START)
    end = (start + dt.timedelta(days=DAYS)).isoformat()
    shutil.rmtree(staging, ignore_errors=True)
    env = dict(os.environ)
    env["PYSPARK_SUBMIT_ARGS"] = f"--driver-memory {memory} pyspark-shell"
    env.setdefault("CAEC_SHUFFLE_PARTITIONS", "8")
    env[SALT_ENV] = BENCH_SALT
    print(f"bench: {name} spark sessionize ...", flush=True)
    spark = _measure(
        [sys.executable, "-m", "caec_spark", "sessionize", "--input", str(raw), "--format", "jsonl", "--output", str(staging),
         "--start", START, "--end", end, "--run-id", f"bench-{name}", "--master", f"local[{threads}]"],
        env=env, log=base / "spark.log",
    )  # fmt: skip
    if spark.returncode != 0:
        raise SystemExit(f"bench: spark run failed, see {base / 'spark.log'}")
    manifest = json.loads((staging / "manifests" / f"run_id=bench-{name}.json").read_text())
    print(f"bench: {name} duckdb job (the job's rules in DuckDB SQL) ...", flush=True)
    job_counts = base / "duckdb-job.json"
    job = _measure(
        [sys.executable, "-m", "caec_spark_dev.duck", "--input", f"{raw}/dt=*/*.jsonl.gz", "--output", str(duck_job),
         "--start", START, "--end", end, "--salt", BENCH_SALT, "--threads", str(threads),
         "--memory-limit", _duck_memory(memory)],
        log=base / "duckdb-job.log", stdout=job_counts,
    )  # fmt: skip
    if job.returncode != 0:
        raise SystemExit(f"bench: duckdb job run failed, see {base / 'duckdb-job.log'}")
    shutil.rmtree(duck_min, ignore_errors=True)
    duck_min.mkdir(parents=True)
    sql = DUCKDB_MIN_SQL.format(
        raw=raw,
        out=duck_min,
        start=START,
        days=DAYS,
        threads=threads,
        salt=BENCH_SALT,
        memory=_duck_memory(memory),
    )
    (base / "duckdb.sql").write_text(sql)
    print(f"bench: {name} duckdb min (gap rule only) ...", flush=True)
    script = f"import duckdb; duckdb.connect().execute(open({str(base / 'duckdb.sql')!r}).read())"
    dk = _measure([sys.executable, "-c", script], log=base / "duckdb.log")
    if dk.returncode != 0:
        raise SystemExit(f"bench: duckdb run failed, see {base / 'duckdb.log'}")
    agree = _agree(manifest["counts"], json.loads(job_counts.read_text()))
    return {
        "size": name,
        "records": lines,
        "memory": memory,
        "spark_s": round(spark.seconds, 1),
        "spark_events_per_s": round(lines / spark.seconds),
        "spark_peak_mb": round(spark.peak_mb),
        "duckdb_job_s": round(job.seconds, 1),
        "duckdb_job_events_per_s": round(lines / job.seconds),
        "duckdb_job_peak_mb": round(job.peak_mb),
        "ratio_spark_over_duckdb_job": round(spark.seconds / job.seconds, 2),
        "counts_agree": agree,
        "duckdb_min_s": round(dk.seconds, 1),
        "duckdb_min_peak_mb": round(dk.peak_mb),
        "ratio_spark_over_duckdb_min": round(spark.seconds / dk.seconds, 2),
    }


def _agree(spark_counts: dict[str, object], duck_counts: dict[str, int]) -> bool:
    """Both engines read, quarantined, kept and flagged the same numbers of records and sessions."""
    keys = ("read", "quarantined", "valid", "bot", "sessions")
    return all(spark_counts.get(k) == duck_counts.get(k) for k in keys)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m caec_spark_dev.bench", description=__doc__.splitlines()[0] if __doc__ else None
    )
    p.add_argument("--out", default=".out/bench", help="bench directory (raw inputs are reused)")
    p.add_argument("--sizes", default="1m,10m", help="comma-separated subset of 20k,1m,10m")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 2, help="cores for both engines")
    p.add_argument(
        "--memory",
        default=os.environ.get("CAEC_BENCH_MEMORY", "12g"),
        help="memory budget for both engines: Spark's driver heap and DuckDB's memory_limit (default 12g)",
    )
    args = p.parse_args(argv)
    out = Path(args.out).resolve()
    results = [run_size(out, s, SIZES[s], args.threads, args.memory) for s in args.sizes.split(",")]
    header = (
        f"{'size':>5} {'records':>10} {'spark s':>8} {'spark ev/s':>11} {'spark PSS MB':>13} "
        f"{'duck job s':>11} {'duck job PSS MB':>16} {'ratio job':>10} {'agree':>6} {'duck min s':>11} {'ratio min':>10}"
    )
    print("\n" + header)
    for r in results:
        print(
            f"{r['size']:>5} {r['records']:>10} {r['spark_s']:>8} {r['spark_events_per_s']:>11} {r['spark_peak_mb']:>13} "
            f"{r['duckdb_job_s']:>11} {r['duckdb_job_peak_mb']:>16} {r['ratio_spark_over_duckdb_job']:>10} "
            f"{'yes' if r['counts_agree'] else 'NO':>6} {r['duckdb_min_s']:>11} {r['ratio_spark_over_duckdb_min']:>10}"
        )
    if len(results) > 1:
        small, big = results[0], results[-1]
        scale = float(big["spark_events_per_s"]) / float(small["spark_events_per_s"])  # type: ignore[arg-type]
        print(
            f"\nspark throughput {big['size']} vs {small['size']}: {scale:.2f}x "
            "(1.0 = linear in events; below 1 = slower per event as input grows)"
        )
    print(
        "target: spark/duckdb ratio <= 3 at 10m on 2 cores ('ratio job': DuckDB doing the job's work, "
        "'ratio min': DuckDB numbering sessions by the gap rule only)"
    )
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    if not all(r["counts_agree"] for r in results):
        print(
            "bench: the engines' counts differ (see duckdb-job.json and the Spark manifest)", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
