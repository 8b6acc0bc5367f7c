from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from helmlib import helm_bin, platform_envs, render_platform

# helm/scripts (overlay.py) is imported by the tests: the same code make runs; .ci/lib (caec_locks) is
# shared with the image tests.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / ".ci" / "lib"))


def pytest_configure(config: pytest.Config) -> None:
    if shutil.which(helm_bin()) is None:
        raise pytest.UsageError(f"helm not found at {helm_bin()}: run `make helm-tool` (or set HELM=...)")


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[dict[str, Any]]]:
    """caec-platform rendered once per environment that has a platform file."""
    return {env: render_platform(env) for env in platform_envs()}


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Which upstream chart versions the render tests use (docs/deployment.md quotes this line)."""
    from upstream import upstream_archives

    return [
        f"upstream chart {name}: "
        + (f"{a.name} {a.version} (app {a.app_version}) from {a.path}" if a else "absent: render tests skip")
        for name, a in upstream_archives().items()
    ]
