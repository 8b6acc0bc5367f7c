"""Run-time helpers shared by every task: the config and window (read once per task) and local stages.

Nothing here runs at DAG import: the config is read when a task executes, in the worker that has the
``caec-pipeline-config`` ConfigMap in its environment, so a bad value fails the first task with a
message naming the variable instead of breaking DAG parsing for every DAG.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from caec_pipeline import window
from caec_pipeline.config import PipelineConfig
from caec_pipeline.runner import execute
from caec_pipeline.steps import Stage

log = logging.getLogger(__name__)


def load_config() -> PipelineConfig:
    """The pipeline config of this task's environment (``CAEC_*``; local defaults when unset)."""
    return PipelineConfig.from_env()


def window_of(context: Mapping[str, Any]) -> window.DayWindow:
    """The run's day window from an Airflow task context: params ``start``/``end``, else the data interval.

    Every task resolves it the same way, so a manual backfill of ``[start, end)`` re-runs exactly those
    days in Spark, dbt, the gate and publish.
    """
    return window.resolve(
        context.get("params"), context.get("data_interval_start"), context.get("data_interval_end")
    )


class _TaskLogStream:
    """A text stream into the task log: the stage runner's progress lines (a line per 10%, or 30 s)."""

    def __init__(self, what: str) -> None:
        self.what = what

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.strip():
                log.info("[%s] %s", self.what, line.strip())
        return len(text)

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False


def run_stage(stage: Stage) -> None:
    """Run one local stage with the pipeline's stage runner (the one ``make run`` uses).

    Every output line goes to the task log; so does the progress the stage reports. A failure raises
    with the output's key lines and tail, so the reason is in the task's error, not only in the log.
    """
    log.info("%s: %s", stage.title, " ".join(stage.argv))
    execute(stage, None, _TaskLogStream(stage.key), echo=lambda line: log.info("[%s] %s", stage.key, line))  # type: ignore[arg-type]
