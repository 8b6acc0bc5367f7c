"""CLI surface and the generator (no Spark needed)."""

from __future__ import annotations

import ast
import gzip
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import caec_spark
from caec_spark.__main__ import main
from caec_spark_dev.__main__ import main as dev_main
from caec_spark_dev.generate import GenerateConfig, generate


@pytest.mark.parametrize(
    "cmd",
    [
        ["caec_spark", "--help"],
        ["caec_spark", "sessionize", "--help"],
        ["caec_spark", "erase", "--help"],
        ["caec_spark_dev", "--help"],
        ["caec_spark_dev", "generate", "--help"],
        ["caec_spark_dev", "duck", "--help"],
        ["caec_spark_dev", "bench", "--help"],
        ["caec_spark_dev.duck", "--help"],
    ],
)
def test_help(cmd: list[str]) -> None:
    r = subprocess.run([sys.executable, "-m", *cmd], capture_output=True, text=True, check=False)
    assert r.returncode == 0 and "usage" in r.stdout.lower()


def test_the_job_package_never_imports_the_dev_tooling() -> None:
    """caec_spark_dev is not in the Spark image (images/spark/Dockerfile copies caec_spark only)."""
    offenders = []
    for path in sorted(Path(caec_spark.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "caec_spark_dev"]
    assert offenders == []


def test_generate_is_not_a_job_command() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["generate", "--events", "10", "--format", "jsonl", "--output", "x"])
    assert exc.value.code == 2


def test_dev_commands_and_their_usage_errors(tmp_path: Path) -> None:
    args = ["--format", "jsonl", "--output", str(tmp_path / "raw")]
    assert dev_main(["generate", "--events", "0", *args]) == 2
    assert dev_main(["sessionize"]) == 2
    assert dev_main(["generate", "--events", "50", "--days", "1", *args]) == 0
    assert list((tmp_path / "raw").glob("dt=2026-11-01/part-00000.jsonl.gz"))


def test_bad_format_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["sessionize", "--input", "x", "--format", "xml", "--output", "y"])
    assert exc.value.code == 2


@pytest.mark.parametrize("fmt", ["jsonl", "combined", "retailrocket", "rees46"])
def test_generator_layout_truth_and_determinism(tmp_path: Path, fmt: str) -> None:
    a = generate(
        GenerateConfig(events=3000, fmt=fmt, seed=3, output=str(tmp_path / "a"), days=2, malformed_rate=0.01)
    )
    generate(
        GenerateConfig(events=3000, fmt=fmt, seed=3, output=str(tmp_path / "b"), days=2, malformed_rate=0.01)
    )
    files = sorted(p.relative_to(tmp_path / "a").as_posix() for p in (tmp_path / "a").rglob("part-*"))
    assert files[0].startswith("dt=2026-11-01/part-00000.") and files[0].endswith(".gz")
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    truth = pq.read_table(tmp_path / "a" / "_truth" / "lines.parquet").to_pylist()
    assert len(truth) == a.lines and sum(t["malformed"] for t in truth) == a.malformed == 30
    assert 2800 <= a.lines <= 3200
    assert any(t["late"] for t in truth) and any(t["is_bot"] for t in truth if not t["malformed"])
    # truth line numbers point at the right lines
    by_file: dict[str, list[str]] = {}
    for f in files:
        by_file[f] = gzip.decompress((tmp_path / "a" / f).read_bytes()).decode().split("\n")
    for t in truth[:200]:
        line = by_file[t["file"]][t["line"] - 1]
        assert line and (t["malformed"] or "timestamp,visitorid" not in line)
    summary = json.loads((tmp_path / "a" / "_truth" / "summary.json").read_text())
    assert summary["sessions"] == a.sessions


def test_generator_progress_uses_the_jobs_json_contract(tmp_path: Path) -> None:
    """The stage runner reads JSON progress lines only: the generator speaks the job's contract."""
    out = str(tmp_path / "raw")
    argv = ["generate", "--events", "200", "--format", "jsonl", "--output", out, "--days", "1"]
    r = subprocess.run(
        [sys.executable, "-m", "caec_spark_dev", *argv],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [json.loads(line) for line in r.stderr.splitlines() if line.strip()]
    assert lines and all(x["caec"] == "progress" and x["stage"] == "generate" for x in lines)
    assert json.loads(r.stdout)  # the summary stays on stdout
