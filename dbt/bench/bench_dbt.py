"""Benchmark the warehouse build on DuckDB over a Spark staging output (e.g. the 10M-event benchmark).

Prints: the full `dbt build` wall time, and the incremental `dbt run` time of day 2 (after day 1 is built)
versus day 30 (after days 1-29 are built). The target is a ratio within 1.2x: the cost of a day must not
grow with history. Execution time comes from dbt's run_results.json (parse time excluded, it is constant);
each incremental figure is the median of --repeat runs of the same (idempotent) day, because a shared
machine makes single runs noisy. With fewer than 30 staged days the last staged day stands in for day 30,
and the output says so: that ratio covers less history than the target is about.
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
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
DBT = Path(sys.executable).with_name("dbt")
TARGET_RATIO = 1.2
TARGET_DAY = 30


@dataclass(frozen=True)
class Timing:
    """One dbt invocation: wall seconds, dbt's execution seconds and each node's execution seconds."""

    wall: float
    execution: float
    nodes: dict[str, float]


def staged_days(staging: Path) -> list[date]:
    """Days with an events partition, sorted."""
    events = staging / "events"
    if not events.is_dir():
        return []
    days = [re.fullmatch(r"event_date=(\d{4}-\d{2}-\d{2})", p.name) for p in events.iterdir()]
    return sorted(date.fromisoformat(m.group(1)) for m in days if m)


def window_vars(window: tuple[date, date] | None, lookback_days: int) -> dict[str, object] | None:
    """The --vars of a windowed run (None: a full build over every staged day)."""
    if window is None:
        return None
    return {
        "start_date": window[0].isoformat(),
        "end_date": window[1].isoformat(),
        "lookback_days": lookback_days,
    }


def run_dbt(
    command: str, staging: Path, db: Path, target: Path, dbt_vars: dict[str, object] | None
) -> Timing:
    """Run dbt (exits with dbt's output on failure) and return its timings from run_results.json."""
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
    if dbt_vars is not None:
        cmd += ["--vars", json.dumps(dbt_vars)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAEC_")}
    env.update(CAEC_STAGING_URI=str(staging), CAEC_DUCKDB_PATH=str(db), DO_NOT_TRACK="1")
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"bench-dbt: dbt {command} {json.dumps(dbt_vars)} failed:\n{proc.stdout[-4000:]}")
    results = json.loads((target / "run_results.json").read_text())
    nodes = {r["unique_id"].split(".")[-1]: float(r["execution_time"]) for r in results["results"]}
    return Timing(wall, float(results["elapsed_time"]), nodes)


def one_day(day: date) -> tuple[date, date]:
    return day, day + timedelta(days=1)


def median_timing(timings: list[Timing]) -> Timing:
    """The run with the median execution time (its per-node figures stay consistent with it)."""
    ordered = sorted(timings, key=lambda t: t.execution)
    return ordered[(len(ordered) - 1) // 2]


def growth(early: Timing, late: Timing, top: int = 5) -> list[tuple[str, float, float]]:
    """The models whose execution time grew most from the early day to the late one."""
    names = set(early.nodes) & set(late.nodes)
    rows = [(n, early.nodes[n], late.nodes[n]) for n in names]
    return sorted(rows, key=lambda r: r[2] - r[1], reverse=True)[:top]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    doc = __doc__ or ""
    parser = argparse.ArgumentParser(
        description=doc.splitlines()[0], epilog=" ".join(doc.splitlines()[2:]).strip()
    )
    parser.add_argument(
        "--staging", type=Path, required=True, help="Spark output root (events/, sessions/, ...)"
    )
    parser.add_argument("--workdir", type=Path, required=True, help="scratch directory (recreated)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each measured day; the median counts (default 3)"
    )
    parser.add_argument(
        "--lookback-days", type=int, default=0, help="var lookback_days of the incremental runs (default 0)"
    )
    parser.add_argument("--skip-full", action="store_true", help="skip the full `dbt build` figure")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.lookback_days < 0:
        parser.error("--repeat must be >= 1 and --lookback-days >= 0")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    days = staged_days(args.staging)
    if len(days) < 3:
        sys.exit(
            f"bench-dbt: need at least 3 staged days under {args.staging}/events (day 2 and a later day), "
            f"found {len(days)}"
        )
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    target = args.workdir / "target"
    staging = args.staging.resolve()

    print(f">> bench-dbt: {len(days)} staged days ({days[0]} .. {days[-1]}) from {staging}", flush=True)
    if not args.skip_full:
        full = run_dbt("build", staging, args.workdir / "full.duckdb", target, None)
        print(
            f"   full dbt build (models + tests, all days): {full.wall:.1f}s wall, "
            f"{full.execution:.1f}s execution",
            flush=True,
        )

    late_index = min(TARGET_DAY, len(days)) - 1
    inc_db = args.workdir / "incremental.duckdb"

    def measure(day: date) -> Timing:
        runs = [
            run_dbt("run", staging, inc_db, target, window_vars(one_day(day), args.lookback_days))
            for _ in range(args.repeat)
        ]
        return median_timing(runs)

    run_dbt("run", staging, inc_db, target, window_vars(one_day(days[0]), 0))
    early = measure(days[1])
    print(f"   incremental day 2 ({days[1]}): {early.execution:.2f}s execution", flush=True)
    if late_index > 2:
        # days 3 .. late-1 in one window: the same state a day-by-day build reaches (tested equal)
        run_dbt("run", staging, inc_db, target, window_vars((days[2], days[late_index]), 0))
    late = measure(days[late_index])
    ratio = late.execution / early.execution
    verdict = "OK" if ratio <= TARGET_RATIO else "ABOVE TARGET"
    print(f"   incremental day {late_index + 1} ({days[late_index]}): {late.execution:.2f}s execution")
    print(
        f"   ratio day {late_index + 1} / day 2: {ratio:.2f}x (target <= {TARGET_RATIO}x): {verdict} "
        f"[median of {args.repeat} runs each, lookback_days={args.lookback_days}]"
    )
    if late_index + 1 < TARGET_DAY:
        print(
            f"   NOTE: only {len(days)} days staged: this compares day 2 with day {late_index + 1}, "
            f"not day {TARGET_DAY}; stage {TARGET_DAY} days for the target figure"
        )
    print(f"   models that grew most (day 2 -> day {late_index + 1}):")
    for name, before, after in growth(early, late):
        print(f"     {name:32s} {before:6.2f}s -> {after:6.2f}s")


if __name__ == "__main__":
    main()
