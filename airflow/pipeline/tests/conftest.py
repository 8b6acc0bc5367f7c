"""Shared fixtures: a config rooted in a temp dir, so tests never touch the checkout's data/."""

from __future__ import annotations

from pathlib import Path

import pytest

from caec_pipeline.config import PipelineConfig

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def cfg(tmp_path: Path) -> PipelineConfig:
    return PipelineConfig.from_env({"CAEC_DATA_DIR": str(tmp_path / "data")}, repo_root=REPO_ROOT)
