"""Format parsers: numbered raw lines -> the canonical parsed event (docs/formats.md).

Every parser returns the raw-line columns plus exactly :data:`PARSED_COLUMNS`. ``parse_reason`` is set
when the line cannot become an event (``parse_error``, ``wrong_columns``, ``bad_timestamp``,
``bad_value``); ``filter_reason`` when it is deliberately not an event (e.g. a static asset request in a
web log). Validation of the parsed values happens later, in one place (transforms.validate).
"""

from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import DataFrame

from caec_spark.formats import combined, jsonl, rees46, retailrocket
from caec_spark.formats._common import ITEM_COLUMNS

PARSED_COLUMNS = (
    "event_ts",
    "ts_text",
    "visitor_key",
    "ip",
    "event_type_raw",
    "event_type",
    "page_url",
    "referrer",
    *ITEM_COLUMNS,
    "user_agent",
    "http_status",
    "parse_reason",
    "parse_detail",
    "filter_reason",
)

PARSERS: dict[str, Callable[[DataFrame], DataFrame]] = {
    "retailrocket": retailrocket.parse,
    "rees46": rees46.parse,
    "combined": combined.parse,
    "jsonl": jsonl.parse,
}


def parse(lines: DataFrame, fmt: str) -> DataFrame:
    """Parse numbered raw lines of one format into the canonical parsed columns."""
    try:
        parser = PARSERS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(PARSERS)}") from None
    out = parser(lines)
    missing = [c for c in PARSED_COLUMNS if c not in out.columns]
    if missing:  # a parser bug, not bad data: fail loudly
        raise AssertionError(f"parser {fmt} did not produce {missing}")
    return out
