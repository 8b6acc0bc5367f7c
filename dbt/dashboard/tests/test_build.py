"""Build the dashboard from a DuckDB warehouse shaped like docs/warehouse.md; CLI behaviour."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest

from caec_dashboard.backends import DashboardError, DuckDBBackend, from_target
from caec_dashboard.build import build, fetch
from caec_dashboard.cli import main
from caec_dashboard.page import CHART_IDS, PageInfo, render_page

from .marts_fixture import content_site_marts, documented_marts


def test_the_fixture_has_every_documented_mart(marts_db: Path) -> None:
    con = duckdb.connect(str(marts_db), read_only=True)
    for table, columns in documented_marts().items():
        assert [c[0] for c in con.execute(f"describe marts.{table}").fetchall()] == [c for c, _ in columns]
    assert len(documented_marts()) == 10


def test_queries_return_consistent_numbers(marts_db: Path) -> None:
    backend = DuckDBBackend(marts_db)
    data = fetch(backend)
    kpis = data["kpis"][0]
    assert kpis["sessions"] == sum(r["sessions"] for r in data["traffic"])
    assert (
        kpis["sessions"]
        == sum(r["sessions"] for r in data["channels"])
        == sum(r["sessions"] for r in data["devices"])
    )
    assert data["funnel"][0]["sessions"] == kpis["sessions"]
    assert len(data["top_pages"]) == 10 and len(data["top_products"]) == 10
    views = [r["page_views"] for r in data["top_pages"]]
    assert views == sorted(views, reverse=True)
    q = data["quarantine_reasons"][0]
    assert q["total"] == sum(
        v for k, v in q.items() if k not in ("total", "records_read", "events_valid", "bot_events")
    )


def test_build_writes_a_self_contained_file(marts_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "dashboard.html"
    result = build(DuckDBBackend(marts_db), out)
    html = out.read_text()
    assert result.bytes_written == len(html.encode())
    for chart in CHART_IDS:
        assert f'data-chart="{chart}"' in html
    # nothing external: no URLs in src/href attributes, a CSP that forbids loading anything
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "default-src 'none'" in html
    assert "<script src" not in html and "<link" not in html
    assert "2026-10-05 to 2026-10-25" in html


def test_missing_warehouse_and_missing_marts_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(DashboardError, match=r"no DuckDB warehouse .* run `make run`"):
        DuckDBBackend(tmp_path / "none.duckdb")
    path = tmp_path / "half.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create table marts.fct_sessions (x int)")
    con.close()
    with pytest.raises(DashboardError, match=r"lacks the marts agg_channels_daily, .*build them first"):
        fetch(DuckDBBackend(path))
    with pytest.raises(DashboardError, match="CAEC_GCP_PROJECT"):
        from_target("bigquery", project="")


def test_cli_build_and_sql(marts_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "d.html"
    assert main(["build", "--duckdb", str(marts_db), "--out", str(out)]) == 0
    assert out.exists() and "wrote" in capsys.readouterr().out
    assert (
        main(
            [
                "sql",
                "--duckdb",
                str(marts_db),
                "select date_day, sessions from marts.agg_daily_traffic order by 1 limit 2",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].split() == ["date_day", "|", "sessions"] and printed[2].startswith("2026-10-05")
    assert main(["sql", "--duckdb", str(marts_db), "select nope from marts.fct_sessions"]) == 1
    assert "BinderException" in capsys.readouterr().err
    assert main(["build", "--duckdb", str(tmp_path / "missing.duckdb"), "--out", str(out)]) == 1
    assert "make run" in capsys.readouterr().err


def _dbt_contract_columns(path: Path) -> dict[str, list[str]]:
    """Model -> column names from dbt's marts YAML (flow and block style entries, no YAML library)."""
    models: dict[str, list[str]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        model = re.match(r"^  - name: (\w+)\s*$", line)
        if model:
            current = model.group(1)
            models[current] = []
            continue
        column = re.match(r"^      - (?:\{name: |name: )(\w+)", line)
        if column and current:
            models[current].append(column.group(1))
    return models


def test_docs_match_the_dbt_contracts() -> None:
    """The dashboard is written against docs/warehouse.md; dbt's enforced contracts must say the same."""
    contract = Path(__file__).resolve().parents[2] / "models" / "marts" / "_marts__models.yml"
    if not contract.exists():
        pytest.skip(f"{contract} not present yet")
    dbt_columns = _dbt_contract_columns(contract)
    for table, columns in documented_marts().items():
        assert table in dbt_columns, f"{table} is documented but not a dbt mart"
        assert dbt_columns[table] == [c for c, _ in columns], table


def test_sql_prints_every_digit_of_a_float(marts_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 17, item 10: `.4g` printed 2072.62 as 2073 (the README's revenue query)."""
    query = "select 2072.62::double as revenue, 0.1234567::double as share, 3.0::double as n"
    assert main(["sql", "--duckdb", str(marts_db), query]) == 0
    assert capsys.readouterr().out.splitlines()[2].split(" | ") == ["2072.62", "0.123457", "3"]


def test_the_data_quality_panel_says_which_records_it_counts(marts_db: Path, tmp_path: Path) -> None:
    """Its figure is valid + quarantined records of the period; filtered records are not stored, so it
    must not be labelled as every record read (issue 17, item 10)."""
    html = build(DuckDBBackend(marts_db), tmp_path / "d.html").path.read_text()
    totals = (
        duckdb.connect(str(marts_db), read_only=True)
        .execute("select sum(events_valid + records_quarantined) from marts.agg_data_quality_daily")
        .fetchone()
    )
    assert totals is not None
    assert f'<div class="v ">{int(totals[0]):,}</div><div class="k">records in the window</div>' in html
    assert "every input record is" not in html and ">records read<" not in html


def test_a_content_site_without_commerce_events_hides_the_commerce_panels(
    marts_db: Path, tmp_path: Path
) -> None:
    """Page views only (no product, cart or purchase event): say why, instead of charts of zeros."""
    content_site = content_site_marts(marts_db, tmp_path / "content.duckdb")
    html = build(DuckDBBackend(content_site), tmp_path / "d.html").path.read_text()
    reason = "the data has no product view, add-to-cart or purchase event (e.g. a content site&#39;s logs)"
    for panel in ("funnel", "top_products"):
        assert f'data-chart="{panel}"' not in html
        assert f'data-section="{panel}" data-hidden="{reason}"' in html
    assert f"not shown: {reason}" in html
    assert ">revenue<" not in html and ">orders<" not in html and "conv " not in html
    for chart in set(CHART_IDS) - {"funnel", "top_products"}:
        assert f'data-chart="{chart}"' in html
    # with commerce events every panel is drawn
    full = build(DuckDBBackend(marts_db), tmp_path / "full.html").path.read_text()
    assert "data-hidden" not in full and ">revenue<" in full


def test_text_from_the_marts_and_the_title_is_escaped(marts_db: Path) -> None:
    """The page template autoescapes: markup in a page path, a channel, the title or the source is shown as
    text, never run (chart markup itself is not escaped twice)."""
    data = fetch(DuckDBBackend(marts_db))
    evil = "<script>alert(1)</script>"
    data["top_pages"][0]["page_path"] = evil
    data["channels"][0]["channel"] = evil
    html = render_page(data, PageInfo(evil, evil, dt.datetime(2026, 11, 1, tzinfo=dt.UTC)))
    assert "<script>alert" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4
    assert html.count("<script>") == 1 and '<svg class="chart line"' in html
