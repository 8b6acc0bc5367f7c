"""Run-time helpers shared by every task: the config (read lazily, once per task) and subprocesses.

Nothing here runs at DAG import: the config is read when a task executes, in the worker that has the
``caec-pipeline-config`` ConfigMap in its environment, so a bad value fails the first task with a
message naming the variable instead of breaking DAG parsing for every DAG.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path

from caec_pipeline.config import PipelineConfig

log = logging.getLogger(__name__)


def load_config() -> PipelineConfig:
    """The pipeline config of this task's environment (``CAEC_*``; local defaults when unset)."""
    return PipelineConfig.from_env()


def require_venv(cfg: PipelineConfig, name: str) -> Path:
    """Interpreter of a component venv, with the make target to run when it is missing."""
    python = cfg.venv_python(name)
    if not python.exists():
        raise FileNotFoundError(
            f"the {name} environment is missing ({python}): create it with "
            f"`make {cfg.repo_root / '.venv' / name / '.synced'}` (or `make setup`) in {cfg.repo_root}"
        )
    return python


def run_logged(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path | None = None,
    what: str,
    tail_lines: int = 40,
) -> None:
    """Run a child process, streaming its output into the task log; fail with the output's tail.

    The full output goes to the Airflow task log line by line (progress stays visible while a long
    Spark or dbt run works); the exception carries the last lines so the failure reason is in the
    task's error, not only somewhere in the log.
    """
    log.info("%s: %s", what, " ".join(argv))
    tail: deque[str] = deque(maxlen=tail_lines)
    with subprocess.Popen(
        list(argv),
        env={**os.environ, **env},
        cwd=str(cwd) if cwd else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        bufsize=1,
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip("\n")
            # Spark can print one-line query plans of megabytes: keep the error message readable.
            tail.append(line if len(line) <= 2000 else line[:2000] + " [...]")
            log.info("[%s] %s", what, line)
        code = proc.wait()
    if code != 0:
        raise RuntimeError(f"{what} failed with exit code {code}; last output:\n" + "\n".join(tail))
