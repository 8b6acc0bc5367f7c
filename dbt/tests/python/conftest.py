"""Shared fixtures: the deterministic staging fixture and a dbt runner that uses the real CLI.

Why the CLI in a subprocess: it is exactly how Airflow, `make dbt-build` and analysts call dbt (from any
directory, with --project-dir/--profiles-dir and CAEC_* variables), so the tests exercise that interface.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fixture import write_fixture

PROJECT_DIR = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).with_name("dbt")

DbtRunner = Callable[..., subprocess.CompletedProcess[str]]


def dbt_command(args: list[str], target_path: Path, dbt_vars: dict[str, object] | None) -> list[str]:
    """The dbt command line for one invocation (artefacts and logs kept out of the source tree)."""
    cmd = [
        str(DBT),
        *args,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path / "logs"),
    ]
    if dbt_vars is not None:
        cmd += ["--vars", json.dumps(dbt_vars)]
    return cmd


@pytest.fixture(scope="session")
def staging_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A staging root shaped like the Spark job's output, with hand-checked contents."""
    return write_fixture(tmp_path_factory.mktemp("staging"))


def dbt_env(env: dict[str, str]) -> dict[str, str]:
    """The process environment for dbt: ours minus any CAEC_* leaking from the caller, plus `env`."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CAEC_")}
    full_env.update(env, DO_NOT_TRACK="1", DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    return full_env


@pytest.fixture(scope="session")
def dbt_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An unrelated working directory: dbt must not depend on being started from the repo."""
    return tmp_path_factory.mktemp("cwd")


@pytest.fixture(scope="session")
def start_dbt(dbt_workdir: Path) -> Callable[..., subprocess.Popen[str]]:
    """Start dbt in the background (lets a slow, independent invocation overlap another one)."""

    def start(
        args: list[str], env: dict[str, str], dbt_vars: dict[str, object] | None, target_path: Path
    ) -> subprocess.Popen[str]:
        return subprocess.Popen(
            dbt_command(args, target_path, dbt_vars),
            cwd=dbt_workdir,
            env=dbt_env(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    return start


@pytest.fixture(scope="session")
def run_dbt(tmp_path_factory: pytest.TempPathFactory, dbt_workdir: Path) -> DbtRunner:
    """Run dbt from an unrelated working directory with the given CAEC_* environment."""

    def run(
        args: list[str],
        env: dict[str, str],
        dbt_vars: dict[str, object] | None = None,
        target_path: Path | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        tp = target_path or tmp_path_factory.mktemp("target")
        proc = subprocess.run(
            dbt_command(args, tp, dbt_vars),
            cwd=dbt_workdir,
            env=dbt_env(env),
            capture_output=True,
            text=True,
            check=False,
        )
        if check and proc.returncode != 0:
            pytest.fail(
                f"dbt {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}"
            )
        return proc

    return run


def local_env(staging: Path, duckdb_path: Path) -> dict[str, str]:
    """CAEC_* variables of the local (DuckDB) target."""
    return {"CAEC_STAGING_URI": str(staging), "CAEC_DUCKDB_PATH": str(duckdb_path)}


@pytest.fixture(scope="session")
def full_build(staging_root: Path, run_dbt: DbtRunner, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`dbt build` with no window (models, data tests, unit tests) into a fresh DuckDB file."""
    db = tmp_path_factory.mktemp("full") / "caec.duckdb"
    run_dbt(["build"], local_env(staging_root, db))
    return db
