"""Build the dashboard file: run every query on a backend, render, write atomically."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from caec_dashboard.backends import Backend, DashboardError
from caec_dashboard.page import PageInfo, Rows, render_page
from caec_dashboard.queries import QUERIES, render, tables_used


@dataclass(frozen=True)
class BuildResult:
    path: Path
    row_counts: dict[str, int]
    bytes_written: int


def fetch(backend: Backend) -> dict[str, Rows]:
    """Run every dashboard query; a missing mart is reported once, with the fix."""
    needed = set().union(*(tables_used(q.sql) for q in QUERIES))
    missing = backend.missing_tables(needed)
    if missing:
        raise DashboardError(
            f"{backend.description} lacks the marts {', '.join(missing)}: build them first "
            "(`make run`, or `dbt build --project-dir dbt --profiles-dir dbt`)"
        )
    return {q.name: backend.query(render(q.sql, backend.table_ref)) for q in QUERIES}


def build(
    backend: Backend, out: Path, title: str = "CAEC clickstream dashboard", now: dt.datetime | None = None
) -> BuildResult:
    data = fetch(backend)
    html = render_page(data, PageInfo(title, backend.description, now or dt.datetime.now(dt.UTC)))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)
    return BuildResult(out, {k: len(v) for k, v in data.items()}, len(html.encode("utf-8")))
