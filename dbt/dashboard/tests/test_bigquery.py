"""The bigquery target: the same queries, rendered for BigQuery, are valid BigQuery SQL and give the
same answers. BigQuery itself is not reachable here, so the BigQuery-rendered SQL is transpiled by
sqlglot (bigquery -> duckdb) and run on the fixture warehouse through a client with BigQuery's
``query().result()`` shape; the backend code path is the production one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import sqlglot

from caec_dashboard.backends import BigQueryBackend, DuckDBBackend
from caec_dashboard.build import fetch
from caec_dashboard.queries import QUERIES, render


class _Row(dict[str, Any]):
    pass


class _Job:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self._rows = rows

    def result(self) -> list[_Row]:
        return [_Row(r) for r in self._rows]


class _Table:
    def __init__(self, table_id: str) -> None:
        self.table_id = table_id


class DuckDBAsBigQuery:
    """Runs BigQuery SQL on DuckDB via sqlglot; `project.dataset` maps to the `marts` schema."""

    def __init__(self, path: Path, project: str, dataset: str) -> None:
        self.con = duckdb.connect(str(path), read_only=True)
        self.prefix = f"{project}.{dataset}."
        self.seen: list[str] = []

    def query(self, sql: str, location: str | None = None) -> _Job:
        self.seen.append(sql)
        translated = sqlglot.transpile(sql.replace(self.prefix, "marts."), read="bigquery", write="duckdb")[0]
        cursor = self.con.execute(translated)
        cols = [d[0] for d in cursor.description or []]
        return _Job([dict(zip(cols, r, strict=True)) for r in cursor.fetchall()])

    def list_tables(self, dataset: str) -> list[_Table]:
        rows = self.con.execute(
            "select table_name from information_schema.tables where table_schema='marts'"
        ).fetchall()
        return [_Table(r[0]) for r in rows]


def test_every_query_is_valid_bigquery_sql() -> None:
    backend_ref = BigQueryBackend("my-project", "caec_dev_marts", client=object()).table_ref
    for q in QUERIES:
        sql = render(q.sql, backend_ref)
        assert "`my-project.caec_dev_marts." in sql
        parsed = sqlglot.parse_one(sql, read="bigquery", error_level=sqlglot.ErrorLevel.RAISE)
        assert parsed is not None, q.name


def test_bigquery_backend_gives_the_same_numbers_as_duckdb(marts_db: Path) -> None:
    client = DuckDBAsBigQuery(marts_db, "my-project", "caec_dev_marts")
    via_bigquery = fetch(BigQueryBackend("my-project", "caec_dev_marts", client=client))
    via_duckdb = fetch(DuckDBBackend(marts_db))
    assert len(client.seen) == len(QUERIES)
    for name, rows in via_duckdb.items():
        assert len(via_bigquery[name]) == len(rows), name
        for a, b in zip(rows, via_bigquery[name], strict=True):
            for key in a:
                if isinstance(a[key], float):
                    assert abs(a[key] - b[key]) < 1e-9, (name, key)
                else:
                    assert a[key] == b[key], (name, key)
