from __future__ import annotations

from pathlib import Path

import pytest

from .marts_fixture import build_marts


@pytest.fixture(scope="session")
def marts_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_marts(tmp_path_factory.mktemp("warehouse") / "caec.duckdb")
