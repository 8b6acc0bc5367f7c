"""Where the marts are read from: the local DuckDB file or the BigQuery marts dataset.

A backend turns a mart name into a table reference and runs a query, returning plain dicts. The
queries themselves are shared (:mod:`caec_dashboard.queries`), so both targets show the same numbers
for the same data.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

Row = dict[str, Any]


class DashboardError(RuntimeError):
    """A problem the user can fix (missing file, missing marts, missing settings); message says how."""


class Backend(Protocol):
    description: str

    def table_ref(self, name: str) -> str: ...

    def query(self, sql: str) -> list[Row]: ...

    def missing_tables(self, names: Iterable[str]) -> list[str]: ...


class DuckDBBackend:
    """The embedded default: read-only connection to the DuckDB file dbt's ``local`` target writes."""

    def __init__(self, path: Path, schema: str = "marts") -> None:
        import duckdb

        if not path.is_file():
            raise DashboardError(
                f"no DuckDB warehouse at {path}: run `make run` (or `make dbt-build`) first, "
                "or pass --duckdb / set CAEC_DUCKDB_PATH"
            )
        try:
            self._con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as exc:
            raise DashboardError(
                f"cannot open {path} read-only ({exc}); is a dbt build still writing it?"
            ) from exc
        self.schema = schema
        self.description = f"DuckDB {path}"

    def table_ref(self, name: str) -> str:
        return f"{self.schema}.{name}"

    def query(self, sql: str) -> list[Row]:
        cursor = self._con.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def missing_tables(self, names: Iterable[str]) -> list[str]:
        present = {
            r[0]
            for r in self._con.execute(
                "select table_name from information_schema.tables where table_schema = ?", [self.schema]
            ).fetchall()
        }
        return sorted(set(names) - present)

    def close(self) -> None:
        self._con.close()


class BigQueryBackend:
    """Production: the marts dataset (CAEC_BQ_MARTS_DATASET) through google-cloud-bigquery (ADC / WI)."""

    def __init__(self, project: str, dataset: str, location: str = "EU", client: Any = None) -> None:
        if not project:
            raise DashboardError(
                "the bigquery target needs a project: set CAEC_GCP_PROJECT or pass --project"
            )
        if not dataset:
            raise DashboardError("the bigquery target needs the marts dataset: set CAEC_BQ_MARTS_DATASET")
        if client is None:
            from google.cloud import bigquery

            client = bigquery.Client(project=project, location=location)
        self._client = client
        self.project, self.dataset, self.location = project, dataset, location
        self.description = f"BigQuery {project}.{dataset} ({location})"

    def table_ref(self, name: str) -> str:
        return f"`{self.project}.{self.dataset}.{name}`"

    def query(self, sql: str) -> list[Row]:
        result = self._client.query(sql, location=self.location).result()
        return [dict(row.items()) for row in result]

    def missing_tables(self, names: Iterable[str]) -> list[str]:
        present = {t.table_id for t in self._client.list_tables(f"{self.project}.{self.dataset}")}
        return sorted(set(names) - present)


def from_target(
    target: str, duckdb_path: str | None = None, project: str | None = None, dataset: str | None = None
) -> Backend:
    """Backend for ``--target`` with the same environment variables dbt's profiles read.

    The runner gives the dashboard every ``CAEC_*`` setting; the fallbacks serve `make dashboard` and
    are the declared local defaults (docs/configuration.md; airflow/pipeline/tests/test_settings.py).
    """
    if target == "local":
        path = (
            duckdb_path
            or os.environ.get("CAEC_DUCKDB_PATH")
            or str(Path(os.environ.get("CAEC_DATA_DIR", "data")) / "warehouse" / "caec.duckdb")
        )
        return DuckDBBackend(Path(path))
    if target == "bigquery":
        return BigQueryBackend(
            project or os.environ.get("CAEC_GCP_PROJECT", ""),
            dataset or os.environ.get("CAEC_BQ_MARTS_DATASET", "caec_local_marts"),
            os.environ.get("CAEC_BQ_LOCATION", "EU"),
        )
    raise DashboardError(f"unknown target {target!r}: use 'local' (DuckDB) or 'bigquery'")
