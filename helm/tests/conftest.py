from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from helmlib import helm_bin, platform_envs, render_platform

# helm/scripts (overlay.py) is imported by the tests: the same code make runs.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))


def pytest_configure(config: pytest.Config) -> None:
    if shutil.which(helm_bin()) is None:
        raise pytest.UsageError(f"helm not found at {helm_bin()}: run `make helm-tool` (or set HELM=...)")


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[dict[str, Any]]]:
    """caec-platform rendered once per environment that has a platform file."""
    return {env: render_platform(env) for env in platform_envs()}
