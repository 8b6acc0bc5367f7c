"""Shared fixtures: the scripts' helpers on sys.path, the evaluated names of every env, a helm binary."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

import tfcontract


@pytest.fixture(scope="session")
def env_outputs() -> dict[str, dict[str, Any]]:
    """Outputs of the names root (real terraform, offline) for each env root's tfvars."""
    return {env: tfcontract.evaluate_env(env) for env in tfcontract.ENVS}


@pytest.fixture(scope="session")
def helm_binary() -> str:
    """The helm the Helm component installs (.tools/bin/helm), $HELM, or helm on PATH; else skip."""
    candidates = [os.environ.get("HELM", ""), str(tfcontract.REPO_ROOT / ".tools" / "bin" / "helm"), "helm"]
    for candidate in candidates:
        found = shutil.which(candidate) if candidate else None
        if found:
            return found
    pytest.skip("no helm binary (run `make helm-tool` to install the pinned one): chart checks skipped")
