"""The component virtual environments the Makefile syncs carry compiled bytecode.

The Makefile exports PYTHONDONTWRITEBYTECODE, so Python never caches what it compiles: a venv synced
without ``--compile-bytecode`` makes every dbt, Airflow and Spark process compile each imported module
from source (dbt --version 5.1 s instead of 2.4 s). Checked on every venv synced so far (at least the one
running this test).
"""

from __future__ import annotations

import importlib.util
import py_compile
import sys
from pathlib import Path

import pytest
from conftest import ROOT


def uncached_sources(site_packages: Path) -> tuple[int, list[Path]]:
    """(number of .py files, those without a cached .pyc for this interpreter) under ``site_packages``."""
    sources = list(site_packages.rglob("*.py"))
    missing = [p for p in sources if not Path(importlib.util.cache_from_source(str(p))).is_file()]
    return len(sources), missing


def synced_venvs() -> list[Path]:
    return sorted(p.parent for p in (ROOT / ".venv").glob("*/.synced"))


def test_this_test_runs_in_a_synced_venv() -> None:
    here = Path(sys.prefix).resolve()
    assert here in [v.resolve() for v in synced_venvs()], f"{here} is not a Makefile venv"


@pytest.mark.parametrize("venv", synced_venvs(), ids=lambda p: p.name)
def test_synced_venv_has_bytecode(venv: Path) -> None:
    site = sorted(venv.glob("lib/python3.*/site-packages"))
    assert site, f"{venv}: no site-packages"
    # every venv is made from the Makefile's one PYTHON, so this interpreter's cache tag is theirs
    assert site[0].parent.name == f"python{sys.version_info[0]}.{sys.version_info[1]}"
    total, missing = uncached_sources(site[0])
    assert total > 0
    # A few files in some packages are not valid Python 3 (test data, templates): uv skips those.
    assert len(missing) <= total // 50, (
        f"{venv.name}: {len(missing)} of {total} modules have no bytecode, e.g. {missing[:3]} "
        "(sync with --compile-bytecode)"
    )


def test_cache_path_helper(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "a.py").write_text("x = 1\n")
    (pkg / "b.py").write_text("y = 2\n")
    py_compile.compile(str(pkg / "a.py"), cfile=importlib.util.cache_from_source(str(pkg / "a.py")))
    total, missing = uncached_sources(tmp_path)
    assert (total, missing) == (2, [pkg / "b.py"])
