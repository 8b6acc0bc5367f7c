"""Erasing visitors from the marts (macros/erasure.sql): the BigQuery statements and the ledger's external
table, rendered offline and parsed as BigQuery; on DuckDB the run-operation really deletes and logs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import sqlglot
from conftest import DbtRunner, local_env
from sqlglot import exp
from test_bigquery_offline import BQ_ENV

HASHED = "0123456789abcdef0123456789abcdef"
VISITOR_TABLES = {"dim_visitors", "fct_orders", "fct_page_views", "fct_sessions", "int_visitor_first_touch"}


def _render(run_dbt: DbtRunner, jinja: str, tmp_path: Path, check: bool = True) -> str:
    proc = run_dbt(
        ["compile", "--target", "bigquery_offline", "--no-populate-cache", "--quiet", "--inline", jinja],
        BQ_ENV,
        target_path=tmp_path,
        check=check,
    )
    return proc.stdout if check else proc.stdout + proc.stderr


def test_bigquery_erasure_statements_parse_and_cover_every_visitor_table(
    run_dbt: DbtRunner, tmp_path: Path
) -> None:
    sql = _render(
        run_dbt, f"{{{{ caec.erasure_statements('req-1', ['{HASHED}']) | join(';\\n') }}}}", tmp_path
    )
    statements = [s for s in sqlglot.parse(sql, read="bigquery") if s is not None]
    deletes = [s for s in statements if isinstance(s, exp.Delete)]
    deleted = {s.this.name for s in deletes} - {"erasure_log"}
    assert deleted == VISITOR_TABLES
    for d in deletes:
        where = d.args["where"].sql(dialect="bigquery")
        assert (HASHED in where) or d.this.name == "erasure_log", where
    # a partitioned table gets an always-true partition filter (require_partition_filter accepts it)
    by_table = {d.this.name: d.args["where"].sql(dialect="bigquery") for d in deletes}
    assert "session_date >= CAST('1900-01-01' AS DATE)" in by_table["fct_sessions"]
    assert all(s.this.args.get("db") is not None for s in deletes)
    assert "`caec-ci`.`caec_ci_marts`.`erasure_log`" in sql


def test_a_clear_key_is_refused_before_any_statement(run_dbt: DbtRunner, tmp_path: Path) -> None:
    out = _render(
        run_dbt, "{{ caec.erasure_statements('req-1', ['alice@example.com']) }}", tmp_path, check=False
    )
    assert "must be hashed visitor_ids" in out
    assert "alice@example.com" not in out


def test_bigquery_ledger_table_ddl_parses(run_dbt: DbtRunner, tmp_path: Path) -> None:
    ddl = _render(run_dbt, "{{ caec.create_erasure_ledger_table() }}", tmp_path)
    sqlglot.parse_one(ddl, read="bigquery")
    assert "`caec-ci`.`caec_ci_staging`.`ext_erasures`" in ddl
    assert "uris = ['gs://caec-ci-caec-ci-staging/_erasure/ledger.jsonl']" in ddl


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def test_duckdb_run_operation_deletes_and_logs_idempotently(
    full_build: Path, staging_root: Path, run_dbt: DbtRunner, tmp_path: Path
) -> None:
    """On a copy of the fixture warehouse: the fixture's visitor ids are short, so one is rewritten to a
    hashed-looking id first; the operation removes exactly its rows and logs them; a second run logs 0."""
    db = tmp_path / "caec.duckdb"
    shutil.copy(full_build, db)
    subject = f"from marts.fct_sessions where visitor_id = '{HASHED}'"
    with duckdb.connect(str(db)) as con:
        before = _count(con, "select count(*) from marts.fct_sessions")
        con.execute(f"update marts.fct_sessions set visitor_id = '{HASHED}' where visitor_id = 'v1'")
        moved = _count(con, f"select count(*) {subject}")
    assert moved > 0
    args = ["run-operation", "erase_visitors", "--args", f"{{request_id: req-1, visitor_ids: ['{HASHED}']}}"]
    for expected in (moved, 0):
        run_dbt(args, local_env(staging_root, db))
        with duckdb.connect(str(db), read_only=True) as con:
            log = dict(con.execute("select table_name, rows_removed from marts.erasure_log").fetchall())
            left = _count(con, f"select count(*) {subject}")
            total = _count(con, "select count(*) from marts.fct_sessions")
        assert set(log) == VISITOR_TABLES
        assert log["fct_sessions"] == expected and left == 0
        assert total == before - moved
