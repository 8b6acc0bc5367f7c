"""Benchmark the warehouse build on DuckDB over a Spark staging output (e.g. the 10M-event benchmark).

Prints: the full `dbt build` wall time, and the incremental `dbt run` time of day 2 (after day 1 is built)
versus day 30 (after days 1-29 are built). The target is a ratio within 1.2x: the cost of a day must not
grow with history. Execution time comes from dbt's run_results.json (parse time excluded, it is constant);
wall time is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
DBT = Path(sys.executable).with_name("dbt")
TARGET_RATIO = 1.2


def staged_days(staging: Path) -> list[date]:
    """Days with an events partition, sorted."""
    days = [re.fullmatch(r"event_date=(\d{4}-\d{2}-\d{2})", p.name) for p in (staging / "events").iterdir()]
    return sorted(date.fromisoformat(m.group(1)) for m in days if m)


def run_dbt(
    command: str, staging: Path, db: Path, target: Path, window: tuple[date, date] | None
) -> tuple[float, float]:
    """Run dbt and return (wall seconds, execution seconds from run_results.json)."""
    cmd = [
        str(DBT),
        command,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target",
        "local",
        "--target-path",
        str(target),
        "--log-path",
        str(target / "logs"),
    ]
    if window:
        cmd += [
            "--vars",
            json.dumps({"start_date": window[0].isoformat(), "end_date": window[1].isoformat()}),
        ]
    env = dict(os.environ, CAEC_STAGING_URI=str(staging), CAEC_DUCKDB_PATH=str(db), DO_NOT_TRACK="1")
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"dbt {command} failed:\n{proc.stdout[-4000:]}")
    elapsed = float(json.loads((target / "run_results.json").read_text())["elapsed_time"])
    return wall, elapsed


def one_day(day: date) -> tuple[date, date]:
    return day, day + timedelta(days=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--staging", type=Path, required=True, help="Spark output root (events/, sessions/, ...)"
    )
    parser.add_argument("--workdir", type=Path, required=True, help="scratch directory (recreated)")
    args = parser.parse_args()
    days = staged_days(args.staging)
    if len(days) < 2:
        sys.exit(f"bench-dbt: need at least 2 days of events under {args.staging}/events, found {len(days)}")
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    target = args.workdir / "target"

    print(f">> bench-dbt: {len(days)} days ({days[0]} .. {days[-1]}) from {args.staging}", flush=True)
    wall, elapsed = run_dbt("build", args.staging, args.workdir / "full.duckdb", target, None)
    print(f"   full dbt build (models + tests): {wall:.1f}s wall, {elapsed:.1f}s execution", flush=True)

    inc_db = args.workdir / "incremental.duckdb"
    run_dbt("run", args.staging, inc_db, target, one_day(days[0]))
    _, day2 = run_dbt("run", args.staging, inc_db, target, one_day(days[1]))
    late_index = min(29, len(days) - 1)
    if late_index > 2:
        run_dbt("run", args.staging, inc_db, target, (days[2], days[late_index]))
    _, late = run_dbt("run", args.staging, inc_db, target, one_day(days[late_index]))
    ratio = late / day2
    verdict = "OK" if ratio <= TARGET_RATIO else "ABOVE TARGET"
    print(
        f"   incremental day 2: {day2:.1f}s, day {late_index + 1}: {late:.1f}s, ratio {ratio:.2f}x "
        f"(target <= {TARGET_RATIO}x): {verdict}"
    )
    if late_index < 29:
        print(f"   note: only {len(days)} days staged, so day {late_index + 1} stands in for day 30")


if __name__ == "__main__":
    main()
