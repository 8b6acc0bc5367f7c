"""caec_pipeline.erasure: the erasure's argv lists and what they read from the ledger (pure)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from caec_pipeline.config import PipelineConfig
from caec_pipeline.erasure import (
    ErasureError,
    SubjectKeys,
    dbt_erase_args,
    dbt_rebuild_args,
    erase_args,
    find_entry,
    marts_window,
    request_id_for,
)
from caec_pipeline.window import DayWindow

ENTRY = {
    "request_id": "erase_r1",
    "status": "staging_erased",
    "visitor_ids": ["0123456789abcdef0123456789abcdef"],
    "staging": [
        {"dataset": "events", "day": "2026-11-03", "rows_removed": 2},
        {"dataset": "quarantine", "day": "2026-11-01", "rows_removed": 1},
        {"dataset": "state", "day": "2026-11-09", "rows_removed": 1},
    ],
}


def test_keys_need_an_id_or_the_ip_ua_pair() -> None:
    for bad in ({}, {"ip": "198.51.100.7"}, {"user_agent": "UA"}, {"user_id": "1", "format": "csv"}):
        with pytest.raises(ValueError):
            SubjectKeys.from_params(bad)
    keys = SubjectKeys.from_params({"user_id": " c42 ", "ip": "", "format": "jsonl"})
    assert keys == SubjectKeys(user_ids=("c42",), formats=("jsonl",))


def test_erase_args_carry_the_keys_and_the_request(cfg: PipelineConfig) -> None:
    keys = SubjectKeys(cookie_ids=("c42",), ip="198.51.100.7", user_agent="UA 1", formats=("combined",))
    args = erase_args(cfg, keys, "ticket-9", "erase_r1")
    assert args[:3] == ["erase", "--output", cfg.staging_uri]
    pairs = dict(zip(args[1::2], args[2::2], strict=False))
    assert (
        pairs["--cookie-id"] == "c42" and pairs["--ip"] == "198.51.100.7" and pairs["--user-agent"] == "UA 1"
    )
    assert pairs["--request-id"] == "erase_r1" and pairs["--format"] == "combined"
    with pytest.raises(ValueError, match="who asked"):
        erase_args(cfg, keys, " ", "erase_r1")


def test_request_ids_are_what_the_dbt_macro_accepts() -> None:
    assert (
        request_id_for("manual__2026-12-04T03:55:00.123+00:00")
        == "erase_manual__2026-12-04T03_55_00.123_00_00"
    )


def test_the_ledger_entry_is_found_only_once_staging_is_erased() -> None:
    text = json.dumps(ENTRY) + "\n" + json.dumps({**ENTRY, "request_id": "erase_r2", "status": "requested"})
    assert find_entry(text, "erase_r1") == ENTRY
    with pytest.raises(ErasureError, match="did not finish"):
        find_entry(text, "erase_r2")
    with pytest.raises(ErasureError, match="run the staging step first"):
        find_entry(None, "erase_r1")


def test_marts_are_rebuilt_over_the_rewritten_days_of_their_sources(cfg: PipelineConfig) -> None:
    # the visitor state's day is Spark's own and does not widen the window
    assert marts_window(ENTRY) == DayWindow(date(2026, 11, 1), date(2026, 11, 4))
    assert marts_window({**ENTRY, "staging": []}) is None
    assert dbt_rebuild_args(cfg, {**ENTRY, "staging": []}) is None
    build = dbt_rebuild_args(cfg, ENTRY)
    assert build is not None and build[0] == "build"
    assert json.loads(build[-1]) == {"start_date": "2026-11-01", "end_date": "2026-11-04"}
    op = dbt_erase_args(cfg, ENTRY)
    assert op[:2] == ["run-operation", "erase_visitors"]
    assert json.loads(op[-1]) == {"request_id": "erase_r1", "visitor_ids": ENTRY["visitor_ids"]}
