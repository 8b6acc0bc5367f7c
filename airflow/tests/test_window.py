"""The run window: data interval by default, a manual date range from params (both or neither)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from caec_airflow.window import resolve_window


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_daily_data_interval_is_one_day() -> None:
    assert resolve_window({}, utc("2026-11-02"), utc("2026-11-03")) == (date(2026, 11, 2), date(2026, 11, 3))


def test_params_range_overrides_the_interval() -> None:
    params = {"start": "2026-10-01", "end": "2026-10-04"}
    assert resolve_window(params, utc("2026-11-02"), utc("2026-11-03")) == (
        date(2026, 10, 1),
        date(2026, 10, 4),
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-10-01", "end": None}, "give both params"),
        ({"start": "2026-10-04", "end": "2026-10-01"}, "empty date range"),
        ({"start": "2026-13-01", "end": "2026-10-01"}, "is not a date"),
    ],
)
def test_bad_ranges_fail_with_the_fix(params: dict[str, str | None], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        resolve_window(params, utc("2026-11-02"), utc("2026-11-03"))


def test_run_without_interval_or_params_asks_for_one() -> None:
    with pytest.raises(ValueError, match="no data interval"):
        resolve_window({"start": None, "end": None}, None, None)
