"""End to end on the real components: generator + Spark local mode + dbt on DuckDB + dashboard.

`make test-run` runs these (its prerequisites create the spark, dbt and dashboard venvs). They call the
same CLI as `make run`, with the data dir in a temp dir so the checkout's data/ is untouched.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from caec_pipeline.dq import DQThresholds, check_manifest, evaluate_manifests, load_manifests
from caec_pipeline.window import DayWindow

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


def query(duckdb_path: Path, sql: str) -> list[Any] | None:
    """The first row of ``sql`` on the warehouse, None without rows (DuckDB from the dashboard venv)."""
    proc = subprocess.run(
        [str(REPO / ".venv/dashboard/bin/python"), "-c",
         "import duckdb, json, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
         "row = con.execute(sys.argv[2]).fetchone(); print(json.dumps(row and list(row), default=str))",
         str(duckdb_path), sql],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    row = json.loads(proc.stdout)
    return list(row) if row is not None else None


def mart_counts(duckdb_path: Path) -> dict[str, int]:
    sql = "select " + ", ".join(f"(select count(*) from marts.{t})" for t in MARTS)
    return {t: int(n) for t, n in zip(MARTS, query(duckdb_path, sql) or [], strict=True)}


def assert_dashboard_has_data(path: Path) -> None:
    html = path.read_text(encoding="utf-8")
    charts = dict(CHARTS.findall(html))
    assert len(charts) >= 11, charts
    empty = [name for name, points in charts.items() if points == "0" and name != "quarantine_reasons"]
    assert not empty, f"dashboard charts without data: {empty}"


def make_run(
    variables: dict[str, str], data_dir: Path, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """`make run VAR=...` exactly as a user types it, with the data dir in a temp dir.

    Its own session, so a test can signal its process group as a terminal's Ctrl-C does and still clean
    up everything; SIGINT back to its default (a background job of a non-interactive shell, e.g. this
    test under `make test-run &`, inherits it ignored).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAEC_", "MAKE"))}
    env["CAEC_DATA_DIR"] = str(data_dir)
    env.update(extra_env or {})
    return subprocess.Popen(
        ["make", "-C", str(REPO), "run", *(f"{k}={v}" for k, v in variables.items())],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def finish(proc: subprocess.Popen[str], timeout: int = 900) -> str:
    """The whole output of a `make_run` process (killed with its session on timeout)."""
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
        pytest.fail(f"`make run` exceeded {timeout}s:\n{out[-3000:]}")
    return out


def fingerprint(data_dir: Path) -> dict[str, str]:
    """Every output file of a run with its hash (stage logs excluded: each run adds its own)."""
    logs = data_dir / "logs"
    return {
        str(p.relative_to(data_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(data_dir.rglob("*"))
        if p.is_file() and logs not in p.parents
    }


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """One run on generated data; later tests start from a copy of its outputs (the "previous run")."""
    data = tmp_path_factory.mktemp("sample") / "data"
    return data, run_cli(["--events", "20000", "--days", "4", "--start", "2026-10-05"], data)


@pytest.fixture
def previous_run(sample_run: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path) -> Path:
    source, proc = sample_run
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = tmp_path / "data"
    shutil.copytree(source, data, symlinks=True)
    return data


def test_run_on_generated_sample_data(sample_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    data, proc = sample_run
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
    manifests = load_manifests(str(data / "staging"), DayWindow(date(2026, 10, 5), date(2026, 10, 9)))
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


def test_a_wrong_format_stops_before_dbt_and_keeps_the_previous_outputs(
    previous_run: Path, tmp_path: Path
) -> None:
    """An access log read as jsonl: every record quarantined (issue 17, items 4 and 8).

    The run stops after sessionize with the breakdown (not in dbt with "Run the Spark job first"),
    exits non-zero, and the previous warehouse, dashboard and staging are exactly as they were.
    """
    access_log = tmp_path / "access.log"
    access_log.write_text(
        "".join(
            f'203.0.113.{i % 200} - - [05/Oct/2026:10:{i % 60:02d}:00 +0000] "GET /p/{i} HTTP/1.1" 200 512 '
            '"-" "Mozilla/5.0 (X11; Linux x86_64)"\n'
            for i in range(300)
        )
    )
    before = fingerprint(previous_run)
    out = finish(
        make_run(
            {"INPUT": str(access_log), "FORMAT": "jsonl", "START": "2026-10-05", "END": "2026-10-06"},
            previous_run,
        )
    )
    assert (
        "stopped after sessionize, before dbt: all 300 records were quarantined: parse_error 300;" in out
    ), out
    assert "is the input format right" in out and "Run the Spark job first" not in out
    assert "[3/4] dbt build" not in out and re.search(r"make: \*\*\* .* Error 1", out), out
    assert fingerprint(previous_run) == before
    kept = list((previous_run / "logs").glob("run-*/failed-run-outputs/staging/manifests/*.json"))
    assert len(kept) == 1, "the failed run's manifest and quarantine rows are kept for inspection"


def stage_session(command_part: str, data_dir: Path) -> int | None:
    """The session id of this run's stage whose command line contains ``command_part`` (stages lead
    their own). Only a stage writing under ``data_dir`` counts: other runs on the machine (parallel
    test sessions) have stages with the same command, and this test stops the session it finds."""
    for proc_dir in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc_dir / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            session = int((proc_dir / "stat").read_text().rsplit(") ", 1)[1].split()[3])
        except (OSError, IndexError, ValueError):
            continue
        if command_part in cmdline and str(data_dir) in cmdline and session == int(proc_dir.name):
            return session
    return None


def session_members(session: int) -> list[int]:
    """Running (not zombie) processes of a session."""
    members = []
    for proc_dir in Path("/proc").glob("[0-9]*"):
        try:
            fields = (proc_dir / "stat").read_text().rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            members.append(int(proc_dir.name))
    return members


def test_ctrl_c_on_make_run_stops_the_running_stage_and_keeps_the_previous_outputs(
    previous_run: Path,
) -> None:
    """Ctrl-C mid-sessionize (SIGINT to make's process group, as a terminal sends it; issue 17, item 5).

    The stage runs in its own session, so only the runner can stop it: its whole process tree (Spark's
    JVM included) must be gone, the previous outputs back in place, and the run must exit 130.
    """
    before = fingerprint(previous_run)
    make = make_run({"EVENTS": "20000", "DAYS": "2", "START": "2026-10-05"}, previous_run)
    session = None
    try:
        deadline = time.monotonic() + 300
        while session is None or len(session_members(session)) < 3:  # lifeline, driver, JVM
            assert make.poll() is None and time.monotonic() < deadline, "sessionize did not start"
            time.sleep(0.5)
            session = stage_session("caec_spark sessionize", previous_run)
        os.killpg(make.pid, signal.SIGINT)
        out, _ = make.communicate(timeout=120)  # EOF only once the runner, which shares the pipe, exits
        assert make.returncode != 0
        assert "interrupted (SIGINT): the running stage was stopped" in out, out[-3000:]
        assert "outputs of earlier runs are unchanged" in out
        deadline = time.monotonic() + 30
        while session_members(session):
            assert time.monotonic() < deadline, f"the stage outlived the run: {session_members(session)}"
            time.sleep(0.5)
    finally:
        for group in (make.pid, session):
            if group:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(group, signal.SIGKILL)
    assert fingerprint(previous_run) == before
    assert not (previous_run / ".previous").exists()


REAL_DATASETS = {
    # file under ../shared/datasets, FORMAT, sensible bot share of valid events (lowest, highest)
    # RetailRocket and REES46 carry no user agent: only the behaviour rules can flag a bot, and both
    # exports are of shoppers. The access log is a shop's real traffic, with crawlers, feed readers and
    # archivers on about two in five requests by user agent.
    "retailrocket": ("retailrocket/events.csv", "retailrocket", (0.0, 0.2)),
    "rees46": ("rees46/2019-Oct.csv", "rees46", (0.0, 0.2)),
    "weblogs": ("weblogs/access.log", "combined", (0.3, 0.8)),
}
# Bot-heavy web logs: the documented way to accept them (docs/quickstart.md); the bot share is asserted below.
REAL_ENV = {"weblogs": {"CAEC_DQ_MAX_BOT_SHARE": "0.8"}}
# Marts a dataset leaves empty because its records cannot fill them: the access log's shop URLs have no
# checkout path the combined parser maps to `purchase` (docs/formats.md), so there is no order (and the
# dashboard says why its order panels are hidden). Exactly these, no more, no fewer.
EMPTY_MARTS = {"weblogs": {"fct_orders"}}
TOP_HUMAN_PAGE = (
    "with views as (select page_path, visitor_id, count(*) as n from marts.fct_page_views "
    "where not is_bot and page_path is not null group by 1, 2), "
    "pages as (select page_path, sum(n) as total, max(n) as top_visitor from views group by 1) "
    "select total, top_visitor from pages order by total desc, page_path limit 1"
)


@pytest.mark.parametrize("name", sorted(REAL_DATASETS))
def test_make_run_on_real_logs(name: str, tmp_path: Path) -> None:
    """`make run INPUT=... FORMAT=...` on each real sample: reconciled, a sensible bot share, every mart the
    data can fill is filled."""
    relative, fmt, (low, high) = REAL_DATASETS[name]
    path = DATASETS / relative
    if not path.is_file():
        pytest.skip(f"real logs not present ({path} is absent; ../shared/datasets beside the checkout)")
    data = tmp_path / "data"
    out = finish(make_run({"INPUT": str(path), "FORMAT": fmt}, data, REAL_ENV.get(name, {})), timeout=600)
    assert "data-quality gate passed" in out and "make: ***" not in out, out[-3000:]
    names = list((data / "staging" / "manifests").glob("*.json"))
    assert len(names) == 1
    manifest = json.loads(names[0].read_text())
    counts = manifest["counts"]
    assert check_manifest(manifest) == [], counts
    records = sum(1 for _ in path.open("rb")) - (1 if fmt in ("retailrocket", "rees46") else 0)  # header
    assert counts["read"] == records, (records, counts)  # REES46's cut-off last row is read (quarantined)
    assert counts["valid"] > 0.9 * (counts["valid"] + counts["quarantined"]), counts
    assert low <= counts["bot"] / counts["valid"] <= high, counts
    marts = mart_counts(data / "warehouse" / "caec.duckdb")
    assert {t for t, n in marts.items() if n == 0} == EMPTY_MARTS.get(name, set()), marts
    assert f"{counts['read']:,}" in out
    if fmt == "combined":  # the CSV exports have no URLs, so no page path
        # The most viewed "human" page is not one client polling a URL (a feed reader counted as human)
        top_page = query(data / "warehouse" / "caec.duckdb", TOP_HUMAN_PAGE)
        assert top_page, "no human page view with a path"
        total, top_visitor = top_page
        assert top_visitor <= total / 2, (
            f"one visitor made {top_visitor} of the top human page's {total} views"
        )
