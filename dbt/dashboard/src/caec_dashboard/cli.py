"""``python -m caec_dashboard build|sql``: build the HTML dashboard, or run an ad-hoc query on the marts."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from caec_dashboard.backends import DashboardError, from_target


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m caec_dashboard",
        description="CAEC dashboard: one self-contained HTML file from the marts (DuckDB locally, BigQuery in production).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    build = sub.add_parser("build", help="query the marts and write the dashboard HTML")
    build.add_argument(
        "--target", choices=("local", "bigquery"), default="local", help="marts to read (default %(default)s)"
    )
    build.add_argument(
        "--out", type=Path, default=Path("data/dashboard.html"), help="output file (default %(default)s)"
    )
    build.add_argument(
        "--duckdb", metavar="PATH", help="DuckDB file (local target; default CAEC_DUCKDB_PATH)"
    )
    build.add_argument("--project", help="BigQuery project (default CAEC_GCP_PROJECT)")
    build.add_argument("--dataset", help="BigQuery marts dataset (default CAEC_BQ_MARTS_DATASET)")
    build.add_argument("--title", default="CAEC clickstream dashboard")
    sql = sub.add_parser(
        "sql", help="run one SQL query on the marts and print a table (DuckDB: schema `marts`)"
    )
    sql.add_argument("query", help='e.g. "select * from marts.agg_daily_traffic order by date_day"')
    sql.add_argument("--target", choices=("local", "bigquery"), default="local")
    sql.add_argument("--duckdb", metavar="PATH", help="DuckDB file (default CAEC_DUCKDB_PATH)")
    sql.add_argument("--max-rows", type=int, default=50)
    return parser


def format_float(value: float, decimals: int = 6) -> str:
    """A float as a SQL shell shows it: every integer digit, up to ``decimals`` decimals, no trailing zeros.

    (``.4g`` printed 2072.62 as 2073: a revenue query must not lose its cents.)
    """
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_table(rows: list[dict[str, object]], max_rows: int = 50) -> str:
    """A plain fixed-width table (what a SQL shell prints)."""
    if not rows:
        return "(no rows)"
    columns = list(rows[0])

    def cell(value: object) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, float):
            return format_float(value)
        return str(value)

    shown = [[cell(r[c]) for c in columns] for r in rows[:max_rows]]
    widths = [max(len(c), *(len(s[i]) for s in shown)) for i, c in enumerate(columns)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(v.ljust(w) for v, w in zip(s, widths, strict=True)) for s in shown]
    if len(rows) > max_rows:
        lines.append(f"... {len(rows) - max_rows} more rows")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "build":
            from caec_dashboard.build import build

            backend = from_target(args.target, args.duckdb, args.project, args.dataset)
            result = build(backend, args.out, args.title)
            counts = ", ".join(f"{k} {v}" for k, v in result.row_counts.items())
            print(f"wrote {result.path} ({result.bytes_written / 1024:.0f} KiB; rows: {counts})")
            return 0
        backend = from_target(args.target, args.duckdb)
        print(format_table(backend.query(args.query), args.max_rows))
        return 0
    except DashboardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a query error from duckdb/BigQuery: show it without a traceback
        if type(exc).__module__.startswith(("duckdb", "_duckdb", "google")):
            print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
