"""End to end on the real components: generator + Spark local mode + dbt on DuckDB + dashboard.

`make test-run` runs these (its prerequisites create the spark, dbt and dashboard venvs). They call the
same CLI as `make run`, with the data dir in a temp dir so the checkout's data/ is untouched.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from caec_pipeline.dq import DQThresholds, check_manifest, evaluate_manifests, load_manifests

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[3]
DATASETS = Path(os.environ.get("CAEC_DATASETS_DIR", REPO.parent / "shared" / "datasets"))
MARTS = ("fct_sessions", "fct_page_views", "fct_orders", "dim_visitors", "dim_products", "agg_daily_traffic",
         "agg_funnel_daily", "agg_channels_daily", "agg_retention_weekly", "agg_data_quality_daily")  # fmt: skip
CHARTS = re.compile(r'data-chart="(\w+)" data-points="(\d+)"')


def run_cli(args: list[str], data_dir: Path, timeout: int = 1500) -> subprocess.CompletedProcess[str]:
    for venv in ("spark", "dbt", "dashboard"):
        assert (REPO / ".venv" / venv / "bin" / "python").exists(), (
            f".venv/{venv} missing: use `make test-run`"
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAEC_")}
    env["CAEC_DATA_DIR"] = str(data_dir)
    proc = subprocess.Popen(
        [sys.executable, "-m", "caec_pipeline", "run", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()  # the runner stops its running stage (Spark's JVM included) on SIGTERM
        out, err = proc.communicate(timeout=60)
        pytest.fail(f"`run {' '.join(args)}` exceeded {timeout}s:\n{out[-3000:]}\n{err[-3000:]}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def mart_counts(duckdb_path: Path) -> dict[str, int]:
    sql = "select " + ", ".join(f"(select count(*) from marts.{t}) as {t}" for t in MARTS)
    proc = subprocess.run(
        [str(REPO / ".venv/dashboard/bin/python"), "-c",
         "import duckdb, json, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
         "cur = con.execute(sys.argv[2]); print(json.dumps(dict(zip([d[0] for d in cur.description], cur.fetchone()))))",
         str(duckdb_path), sql],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return {k: int(v) for k, v in json.loads(proc.stdout).items()}


def assert_dashboard_has_data(path: Path) -> None:
    html = path.read_text(encoding="utf-8")
    charts = dict(CHARTS.findall(html))
    assert len(charts) >= 11, charts
    empty = [name for name, points in charts.items() if points == "0" and name != "quarantine_reasons"]
    assert not empty, f"dashboard charts without data: {empty}"


def test_run_on_generated_sample_data(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc = run_cli(["--events", "20000", "--days", "4", "--start", "2026-10-05"], data)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    for stage in (
        "[1/5] generate",
        "[2/5] sessionize",
        "[3/5] dbt build",
        "[4/5] dashboard",
        "[5/5] data-quality gate",
    ):
        assert stage in out
    assert "data-quality gate passed" in out and "Example query" in out
    # the manifest of the run reconciles and passes the gate
    manifests = load_manifests(str(data / "staging"), date(2026, 10, 5), date(2026, 10, 9))
    assert len(manifests) == 1 and check_manifest(manifests[0]) == []
    verdict = evaluate_manifests(manifests, DQThresholds())
    assert verdict.passed, verdict.message
    counts = manifests[0]["counts"]
    assert 15_000 < counts["read"] < 25_000 and counts["sessions"] > 0 and counts["quarantined"] > 0
    assert f"{counts['read']:,}" in out  # the summary shows the manifest's numbers
    # every mart has rows
    marts = mart_counts(data / "warehouse" / "caec.duckdb")
    assert all(n > 0 for n in marts.values()), marts
    assert_dashboard_has_data(data / "dashboard.html")
    # the example query printed rows of the first day
    assert "2026-10-05" in out.split("Example query")[1]
    # stage logs are kept
    assert any((data / "logs").glob("run-*/sessionize.log"))


def _sample_real_logs(root: Path) -> list[tuple[Path, str]]:
    """One file per recognised format under ../shared/datasets (by name and first line)."""
    found: dict[str, Path] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.stat().st_size > 0):
        opener = gzip.open if path.suffix == ".gz" else open
        try:
            with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
                first = handle.readline()
        except (OSError, EOFError):
            continue
        if first.lower().startswith("timestamp,visitorid,event"):
            found.setdefault("retailrocket", path)
        elif first.lower().startswith("event_time,event_type"):
            found.setdefault("rees46", path)
        elif re.search(r'\[\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "', first):
            found.setdefault("combined", path)
        elif first.lstrip().startswith("{") and '"event_ts"' in first:
            found.setdefault("jsonl", path)
    return [(p, f) for f, p in found.items()]


def _head(path: Path, out: Path, lines: int) -> Path:
    opener = gzip.open if path.suffix == ".gz" else open
    with (
        opener(path, "rt", encoding="utf-8", errors="replace") as src,
        out.open("w", encoding="utf-8") as dst,
    ):
        for i, line in enumerate(src):
            if i >= lines:
                break
            dst.write(line)
    return out


def test_run_on_real_logs(tmp_path: Path) -> None:
    if not DATASETS.is_dir():
        pytest.skip(f"real logs not present ({DATASETS} is absent): the real-logs run is skipped")
    samples = _sample_real_logs(DATASETS)
    if not samples:
        pytest.skip(f"no file in a supported format under {DATASETS}")
    for path, fmt in samples:
        data = tmp_path / fmt / "data"
        sample = _head(path, tmp_path / f"{fmt}-sample{''.join(path.suffixes[:1]) or '.log'}", 30_000)
        proc = run_cli(["--input", str(sample), "--format", fmt, "--no-dq-fail"], data)
        assert proc.returncode == 0, f"{fmt} ({path}):\n" + proc.stdout[-3000:] + proc.stderr[-3000:]
        names = list((data / "staging" / "manifests").glob("*.json"))
        assert len(names) == 1
        manifest = json.loads(names[0].read_text())
        assert check_manifest(manifest) == [], (fmt, manifest)
        assert manifest["counts"]["valid"] > 0, (fmt, manifest["counts"])
        assert mart_counts(data / "warehouse" / "caec.duckdb")["fct_sessions"] > 0
        assert (data / "dashboard.html").stat().st_size > 10_000
