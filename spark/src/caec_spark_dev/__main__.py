"""Command line: ``python -m caec_spark_dev generate ...`` (synthetic raw logs with ground truth).

The DuckDB twin and the benchmark have their own: ``python -m caec_spark_dev.duck`` and
``python -m caec_spark_dev.bench`` (``make bench-spark``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence

from caec_spark.config import FORMATS


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m caec_spark_dev",
        description="CAEC Spark dev tooling (not in the job image).",
    )
    sub = p.add_subparsers(dest="command", required=True)
    g = sub.add_parser(
        "generate",
        help="write synthetic raw logs with ground truth",
        description=(
            "Write realistic synthetic click logs as DIR/dt=YYYY-MM-DD/part-00000.<ext>[.gz] plus ground truth "
            "in DIR/_truth/ (true session key, is_bot, malformed per line). No Spark needed."
        ),
    )
    g.add_argument("--events", type=int, required=True, help="approximate number of records to write")
    g.add_argument("--format", required=True, choices=FORMATS)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--output", required=True, help="output directory")
    g.add_argument(
        "--start",
        type=dt.date.fromisoformat,
        default=dt.date(2026, 11, 1),
        help="first day, YYYY-MM-DD (default 2026-11-01)",
    )
    g.add_argument("--days", type=int, default=3, help="number of days (default 3)")
    g.add_argument(
        "--malformed-rate", type=float, default=0.002, help="share of malformed lines (default 0.002)"
    )
    g.add_argument(
        "--gzip", action=argparse.BooleanOptionalAction, default=True, help="gzip day files (default on)"
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from caec_spark_dev.generate import GenerateConfig, generate

    try:
        cfg = GenerateConfig(
            events=args.events,
            fmt=args.format,
            seed=args.seed,
            output=args.output,
            start=args.start,
            days=args.days,
            malformed_rate=args.malformed_rate,
            gzip=args.gzip,
        )
    except ValueError as exc:
        print(f"caec-spark generate: error: {exc}", file=sys.stderr)
        return 2
    print(generate(cfg).to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
