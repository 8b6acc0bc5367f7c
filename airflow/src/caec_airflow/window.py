"""The day range a DAG run works on: its data interval, or the date range a manual run asks for.

Every task resolves the window the same way, so a manual backfill of ``[start, end)`` re-runs exactly
those days in Spark, dbt, the gate and publish. Days are half-open like Airflow's data interval.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from caec_pipeline.steps import check_range, interval_days, parse_day

# Params of the DAG that override the data interval (manual runs / backfills).
PARAM_START = "start"
PARAM_END = "end"


def resolve_window(
    params: Mapping[str, Any] | None,
    data_interval_start: datetime | date | None,
    data_interval_end: datetime | date | None,
) -> tuple[date, date]:
    """``[start, end)`` of a run: ``params.start``/``params.end`` when given, else the data interval.

    Both params or neither: a half-given range is a mistake worth failing on, not guessing.
    """
    params = params or {}
    start_text, end_text = params.get(PARAM_START), params.get(PARAM_END)
    if start_text or end_text:
        if not (start_text and end_text):
            raise ValueError(
                "give both params 'start' and 'end' (YYYY-MM-DD, end exclusive) for a date-range run, "
                "or neither to process the run's data interval"
            )
        start, end = parse_day(str(start_text)), parse_day(str(end_text))
        check_range(start, end)
        return start, end
    if data_interval_start is None or data_interval_end is None:
        raise ValueError(
            "this run has no data interval (a manual run without a logical date): trigger it with a "
            "logical date, or with params 'start' and 'end' (YYYY-MM-DD, end exclusive)"
        )
    return interval_days(data_interval_start, data_interval_end)


def window_from_context(context: Mapping[str, Any]) -> tuple[date, date]:
    """The run's window from an Airflow task context (params, data_interval_start/end)."""
    return resolve_window(
        context.get("params"), context.get("data_interval_start"), context.get("data_interval_end")
    )
