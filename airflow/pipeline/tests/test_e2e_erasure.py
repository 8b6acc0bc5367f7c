"""Erasing a data subject end to end (`make erase`'s CLI) on the real components: Spark local mode, dbt on
DuckDB. After the erasure the marts equal those of a run over the same logs without the subject, nothing
in staging, quarantine, the marts or the ledger holds them, a second erasure changes nothing and a re-run
of a day does not bring them back. Small on purpose: 2,000 generated events over three days.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from .test_e2e import MARTS, REPO, run_cli

pytestmark = pytest.mark.e2e

SUBJECT = "subject-4711"
START = date(2026, 11, 1)
END = START + timedelta(days=3)
WINDOW = ["--format", "jsonl", "--start", START.isoformat(), "--end", END.isoformat()]
# Tables compared between the two warehouses; the columns that name a run or an input path differ
# between any two runs and are left out.
TABLES = (*MARTS, "int_visitor_first_touch")
RUN_COLUMNS = {"run_id", "source_file"}
DUMP = """
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
out = {}
for t in json.loads(sys.argv[2]):
    (schema,) = con.execute("select table_schema from information_schema.tables where table_name = ?", [t]).fetchone()
    cols = [c[0] for c in con.execute(f"describe {schema}.{t}").fetchall() if c[0] not in json.loads(sys.argv[3])]
    rows = con.execute(f"select {', '.join(cols)} from {schema}.{t}").fetchall()
    # floats to 9 places: sums over the same rows in another order differ in the last bits
    out[t] = sorted(json.dumps([str(round(v, 9) if isinstance(v, float) else v) for v in r]) for r in rows)
print(json.dumps(out))
"""


def _subject_lines(day: date) -> list[str]:
    """Four page views (the session runs past midnight) and two lines the job quarantines, one of which
    does not parse (found only by its text)."""
    first = datetime(day.year, day.month, day.day, 23, 40)
    lines = [
        json.dumps(
            {
                "event_ts": (first + timedelta(minutes=7 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "visitor_id": SUBJECT,
                "event_type": "purchase" if i == 3 else "page_view",
                "page_url": f"https://shop.example/p/{i}",
                "transaction_id": f"t-{day}" if i == 3 else None,
                "revenue": 12.5 if i == 3 else None,
            }
        )
        for i in range(4)
    ]
    lines.append(f'{{"event_ts":"{day}T10:00:00Z","visitor_id":"{SUBJECT}","event_type":"page_v')
    lines.append(
        json.dumps({"event_ts": "2031-01-01T00:00:00Z", "visitor_id": SUBJECT, "event_type": "page_view"})
    )
    return lines


def _python(venv: str) -> str:
    return str(REPO / ".venv" / venv / "bin" / "python")


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAEC_")}
    return env | {"CAEC_DATA_DIR": str(data_dir)}


def _erase(data_dir: Path, request_id: str) -> subprocess.CompletedProcess[str]:
    args = ["erase", "--user-id", SUBJECT, "--format", "jsonl", "--requested-by", "ticket-42"]
    return subprocess.run(
        [sys.executable, "-m", "caec_pipeline", *args, "--request-id", request_id],
        cwd=REPO, env=_env(data_dir), capture_output=True, text=True, timeout=1500, check=False,
    )  # fmt: skip


def _marts(duckdb_path: Path) -> dict[str, list[str]]:
    proc = subprocess.run(
        [_python("dashboard"), "-c", DUMP, str(duckdb_path), json.dumps(TABLES), json.dumps(sorted(RUN_COLUMNS))],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return dict(json.loads(proc.stdout))


def _visitor_rows(duckdb_path: Path, ids: list[str]) -> dict[str, int]:
    """Rows of the ids in every warehouse table that has a visitor_id column."""
    code = """
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
ids = json.loads(sys.argv[2])
tables = [r[0] + "." + r[1] for r in con.execute(
    "select table_schema, table_name from information_schema.columns where column_name = 'visitor_id'").fetchall()]
print(json.dumps({t: con.execute(f"select count(*) from {t} where visitor_id in (select unnest(?))", [ids]).fetchone()[0] for t in tables}))
"""
    proc = subprocess.run([_python("dashboard"), "-c", code, str(duckdb_path), json.dumps(ids)],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return dict(json.loads(proc.stdout))


def _files_mentioning(root: Path, needles: list[str]) -> list[str]:
    """Files under ``root`` holding a needle (Parquet read as values, so compressed pages are searched)."""
    code = """
import json, sys, pathlib, pyarrow.parquet as pq
root, needles = pathlib.Path(sys.argv[1]), json.loads(sys.argv[2])
hits = []
for f in root.rglob("*"):
    if not f.is_file():
        continue
    text = str(pq.read_table(f).to_pylist()) if f.suffix == ".parquet" else f.read_text(errors="replace")
    if any(n in text for n in needles):
        hits.append(str(f.relative_to(root)))
print(json.dumps(sorted(hits)))
"""
    proc = subprocess.run([_python("spark"), "-c", code, str(root), json.dumps(needles)],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return list(json.loads(proc.stdout))


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Generated logs, and the same logs plus one file per day holding only the subject."""
    base = tmp_path_factory.mktemp("raw")
    plain, subject = base / "plain", base / "subject"
    subprocess.run(
        [_python("spark"), "-m", "caec_spark_dev", "generate", "--events", "2000", "--format", "jsonl",
         "--seed", "3", "--start", START.isoformat(), "--days", "3", "--output", str(plain)],
        check=True, capture_output=True,
    )  # fmt: skip
    for day_dir in sorted(plain.glob("dt=*")):
        target = subject / day_dir.name
        target.mkdir(parents=True)
        for f in day_dir.iterdir():
            (target / f.name).symlink_to(f)
        (target / "part-subject.jsonl").write_text(
            "\n".join(_subject_lines(date.fromisoformat(day_dir.name[3:]))) + "\n"
        )
    return plain, subject


def test_erasure_leaves_the_marts_of_a_run_without_the_subject(
    raw: tuple[Path, Path], tmp_path: Path
) -> None:
    plain, subject = raw
    erased, clean = tmp_path / "erased", tmp_path / "clean"
    for data, logs in ((erased, subject), (clean, plain)):
        proc = run_cli(["--input", str(logs), *WINDOW, "--no-dq-fail"], data)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    warehouse = erased / "warehouse" / "caec.duckdb"
    before = _marts(warehouse)

    proc = _erase(erased, "req-1")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    ledger_path = erased / "staging" / "_erasure" / "ledger.jsonl"
    (entry,) = [json.loads(line) for line in ledger_path.read_text().splitlines()]
    ids = entry["visitor_ids"]
    # The subject was there (so the comparison below can fail) and is now gone from every table.
    assert before != _marts(warehouse)
    assert {r["dataset"] for r in entry["staging"]} == {"events", "sessions", "state", "quarantine"}
    assert set(_visitor_rows(warehouse, ids).values()) == {0}
    assert _marts(warehouse) == _marts(clean / "warehouse" / "caec.duckdb")
    # No clear key and no hashed id left in any staged file but the ledger (whose ids are hashes).
    staged = _files_mentioning(erased / "staging", [SUBJECT, *ids])
    assert staged == ["_erasure/ledger.jsonl"], staged
    assert SUBJECT not in ledger_path.read_text()

    # Erasing again removes nothing and leaves the marts as they are; the request is recorded.
    after = _marts(warehouse)
    proc = _erase(erased, "req-2")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    entries = [json.loads(line) for line in ledger_path.read_text().splitlines()]
    assert [(e["request_id"], e["rows_removed"]) for e in entries][1] == ("erase_req-2", 0)
    assert _marts(warehouse) == after

    # A re-run of day 2 (the daily job) reads the subject's raw lines again and filters them.
    proc = run_cli(["--input", str(subject), "--format", "jsonl", "--start", "2026-11-02", "--end", "2026-11-03",
                    "--keep-existing", "--no-dq-fail"], erased)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert set(_visitor_rows(warehouse, ids).values()) == {0}
    assert _files_mentioning(erased / "staging", [SUBJECT, *ids]) == ["_erasure/ledger.jsonl"]
