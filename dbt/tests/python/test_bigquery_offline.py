"""The BigQuery path, checked without credentials: compile every model with the `bigquery_offline` target
(dummy oauth-secrets token, --no-populate-cache) and parse the compiled SQL with sqlglot's BigQuery dialect.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

BQ_ENV = {
    "CAEC_GCP_PROJECT": "caec-ci",
    "CAEC_BQ_LOCATION": "EU",
    "CAEC_BQ_STAGING_DATASET": "caec_ci_staging",
    "CAEC_BQ_MARTS_DATASET": "caec_ci_marts",
    "CAEC_STAGING_URI": "gs://caec-ci-caec-ci-staging",
    "CAEC_QUARANTINE_URI": "gs://caec-ci-caec-ci-quarantine",
}
# render_incremental: compile the incremental branch (reads of the stored table) too, without asking the
# warehouse whether the table exists (macros/window.sql incremental_run).
WINDOW = {
    "start_date": "2024-06-01",
    "end_date": "2024-06-02",
    "lookback_days": 2,
    "render_incremental": True,
}


@pytest.fixture(scope="module")
def compiled(
    start_dbt: Callable[..., subprocess.Popen[str]],
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Path:
    """Compile the whole project (models, tests, analyses) for BigQuery, offline. The compile runs in the
    background while the (independent) DuckDB full build of the fixture runs, to use both cores."""
    target = tmp_path_factory.mktemp("bq-target")
    proc = start_dbt(
        ["compile", "--target", "bigquery_offline", "--no-populate-cache"], BQ_ENV, WINDOW, target
    )
    try:
        request.getfixturevalue("full_build")
    finally:
        output, _ = proc.communicate(timeout=900)
    if proc.returncode != 0:
        pytest.fail(f"dbt compile --target bigquery_offline failed ({proc.returncode}):\n{output[-6000:]}")
    return target


def compiled_nodes(target: Path, resource_type: str) -> dict[str, str]:
    """Compiled SQL of every node of one type (model, test), by node name, from the manifest."""
    manifest = json.loads((target / "manifest.json").read_text())
    return {
        n["name"]: n["compiled_code"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == resource_type and n.get("compiled_code")
    }


def test_every_model_is_valid_bigquery_sql(compiled: Path) -> None:
    models = compiled_nodes(compiled, "model")
    assert len(models) == 18, sorted(models)
    for name, sql in models.items():
        sqlglot.parse_one(sql, read="bigquery")
        tables = {
            t.sql(dialect="bigquery") for t in sqlglot.parse_one(sql, read="bigquery").find_all(exp.Table)
        }
        assert not any("read_parquet" in t or "read_json" in t for t in tables), (name, tables)


def test_every_data_test_is_valid_bigquery_sql(compiled: Path) -> None:
    tests = compiled_nodes(compiled, "test")
    assert len(tests) > 50, len(tests)
    for sql in tests.values():
        sqlglot.parse_one(sql, read="bigquery")


def test_sources_are_external_tables_in_the_staging_dataset(compiled: Path) -> None:
    sql = compiled_nodes(compiled, "model")["stg_caec__events"]
    assert "`caec-ci`.`caec_ci_staging`.`ext_events`" in sql
    # resolved through the publish pointer in the same query
    assert "exists (select 1 from `caec-ci`.`caec_ci_staging`.`ext_current` as pointer" in sql
    assert "pointer.version = staged.v" in sql
    assert "read_parquet" not in sql


def test_incremental_marts_are_day_partitioned(compiled: Path) -> None:
    manifest = json.loads((compiled / "manifest.json").read_text())
    marts = {
        n["name"]: n["config"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model"
        and n["name"].startswith(("fct_", "agg_"))
        and n["config"]["materialized"] == "incremental"
    }
    assert set(marts) >= {
        "fct_sessions",
        "fct_page_views",
        "fct_orders",
        "agg_daily_traffic",
        "agg_funnel_daily",
        "agg_channels_daily",
        "agg_data_quality_daily",
        "agg_retention_weekly",
    }
    for name, config in marts.items():
        assert config["incremental_strategy"] == "insert_overwrite", name
        assert (
            config["partition_by"]["data_type"] == "date" and config["partition_by"]["granularity"] == "day"
        ), name
        assert config["contract"]["enforced"], name
    assert marts["fct_page_views"]["require_partition_filter"] is True


def test_entity_tables_merge_by_key(compiled: Path) -> None:
    """Tables over all history keyed by an entity merge only the keys a run recomputed (cost flat as
    history grows); the incremental branch reads the stored table."""
    manifest = json.loads((compiled / "manifest.json").read_text())
    configs = {n["name"]: n["config"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    models = compiled_nodes(compiled, "model")
    for name, key in (
        ("int_visitor_first_touch", "visitor_id"),
        ("dim_visitors", "visitor_id"),
        ("dim_products", "product_id"),
    ):
        assert configs[name]["materialized"] == "incremental", name
        assert configs[name]["incremental_strategy"] == "merge", name
        assert configs[name]["unique_key"] == key, name
        assert configs[name]["cluster_by"] == [key], name
        assert f"`caec_ci_{'staging' if name.startswith('int_') else 'marts'}`.`{name}`" in models[name], name
    assert configs["int_visitor_first_touch"]["partition_by"]["field"] == "first_session_date"
    # retention rebuilds the activity weeks from the Monday of the window's first day (2024-05-30 -> 05-27)
    assert "session_date >= cast('2024-05-27' as date)" in models["agg_retention_weekly"]


def test_window_is_applied_with_lookback(compiled: Path) -> None:
    sql = compiled_nodes(compiled, "model")["agg_daily_traffic"]
    assert "session_date >= cast('2024-05-30' as date) and session_date < cast('2024-06-02' as date)" in sql


def test_external_table_ddl_is_valid_bigquery(compiled: Path) -> None:
    """The on-run-start DDL (external tables over gs:// with hive partitioning) parses as BigQuery; the
    analysis analyses/bigquery_external_tables.sql renders exactly what the hook runs."""
    ddl = compiled_nodes(compiled, "analysis")["bigquery_external_tables"]
    statements = [s for s in sqlglot.parse(ddl, read="bigquery") if s is not None]
    assert len(statements) == 5, ddl
    assert "hive_partition_uri_prefix = 'gs://caec-ci-caec-ci-staging/events'" in ddl
    # partitions hold version folders: <partition>=D/v=<run_id>/ (docs/data-contract.md)
    assert "with partition columns (event_date date, v string)" in ddl
    assert "uris = ['gs://caec-ci-caec-ci-staging/_current.jsonl']" in ddl
    assert "uris = ['gs://caec-ci-caec-ci-quarantine/*.parquet']" in ddl
    assert "create or replace external table `caec-ci`.`caec_ci_staging`.`ext_manifests`" in ddl
