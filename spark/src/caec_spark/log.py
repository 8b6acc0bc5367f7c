"""Progress lines on stderr, one JSON object per line (stdout stays clean for results).

The contract (caec_pipeline's runner parses it; docs/spark-job.md "Progress lines")::

    {"caec": "progress", "component": "spark", "time": "2026-12-04T07:01:02Z",
     "step": 1, "steps": 5, "stage": "route", "message": "..."}

``step``/``steps`` are present only on the job's numbered steps; other lines (publish details, garbage
collection, erasure) carry just the stage and message.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

COMPONENT = "spark"


def progress_line(
    stage: str,
    message: str,
    step: int | None = None,
    steps: int | None = None,
    now: dt.datetime | None = None,
) -> str:
    """One progress line (without the newline); ``now`` defaults to the current UTC time."""
    if (step is None) != (steps is None) or (
        step is not None and steps is not None and not 1 <= step <= steps
    ):
        raise ValueError(f"step {step} of {steps}: give both, with 1 <= step <= steps, or neither")
    t = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    row: dict[str, Any] = {
        "caec": "progress",
        "component": COMPONENT,
        "time": t.isoformat().replace("+00:00", "Z"),
    }
    if step is not None:
        row["step"], row["steps"] = step, steps
    row["stage"], row["message"] = stage, message
    return json.dumps(row, ensure_ascii=False)


def progress(stage: str, message: str, step: int | None = None, steps: int | None = None) -> None:
    """Print one progress line to stderr, flushed, so long runs show where they are."""
    print(progress_line(stage, message, step, steps), file=sys.stderr, flush=True)
