"""Any single record, of any size or content, ends as an event, a filtered record or a quarantine row.

Fuzzed through the real Spark parse path (each format's parser, then validation, evaluated by Spark's
own regex, JSON and timestamp code) with long, nested, binary-like and unicode input, plus the concrete
records that once failed a whole run (issue #17).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from helpers import START, read, run_job
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from caec_spark.config import FORMATS, RulesConfig
from caec_spark.formats import parse
from caec_spark.io import RAW_SCHEMA
from caec_spark.transforms.enrich import enrich, mask_ips
from caec_spark.transforms.validate import CANONICAL_EVENT_TYPES, classify

DAY = START.isoformat()
RUN_STARTED = dt.datetime(2026, 11, 10)

# Text without line breaks (the splitter cuts records at \n), from every Unicode plane, control
# characters, quotes and backslashes included: what a damaged or hostile log line can hold.
_ANY_CHAR = st.characters(blacklist_characters="\n", blacklist_categories=["Cs"])
_PIECE = st.text(alphabet=_ANY_CHAR, min_size=1, max_size=8)
# Long values: a short piece repeated up to 40k times (Java's regex engine recursed per character in
# an alternation loop and overflowed its stack at ~1.7 KB).
_LONG = st.builds(lambda piece, n: piece * n, _PIECE, st.integers(min_value=1, max_value=40_000))
_FIELD = st.one_of(
    st.text(alphabet=_ANY_CHAR, max_size=40), _LONG, st.sampled_from(['\\"', "\\", '"', "-", ""])
)
_NUMBER = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["1e999", "-1e999", "NaN", "Infinity", "9" * 400, "0x1F", "1_000", "-0", "1e-400"]),
)


def _nested(depth: int, kind: str) -> str:
    return kind[0] * depth + kind[1] * depth


_NESTED = st.builds(_nested, st.integers(min_value=1, max_value=20_000), st.sampled_from(["[]", "{}"]))


@st.composite
def combined_line(draw: st.DrawFn) -> str:
    req = f"{draw(st.sampled_from(['GET', 'POST', '']))} {draw(_FIELD)} HTTP/1.1"
    fields = [draw(_FIELD) for _ in range(3)]
    when = draw(st.sampled_from(["01/Nov/2026:10:00:00 +0000", "99/Zzz/99999:99:99:99 +9999", "x"]))
    status = draw(st.one_of(st.sampled_from(["200", "-", "99999999999"]), _NUMBER))
    tail = f' "{fields[1]}" "{fields[2]}"' + draw(st.sampled_from(["", ' "-"', f' "{fields[0]}"']))
    return f'{fields[0]} - - [{when}] "{req}" {status} {draw(_NUMBER)}{tail}'


@st.composite
def jsonl_line(draw: st.DrawFn) -> str:
    doc = {
        "event_ts": draw(st.one_of(st.just(f"{DAY}T10:00:00Z"), _FIELD, _NUMBER)),
        "visitor_id": draw(st.one_of(st.just("v1"), _FIELD)),
        "event_type": draw(st.sampled_from(["page_view", "purchase", "x"])),
        "page_url": draw(_FIELD),
        "user_agent": draw(_FIELD),
        "price": draw(_NUMBER),
        "revenue": draw(_NUMBER),
        "http_status": draw(_NUMBER),
    }
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()))
    # numbers unquoted too (JSON numbers out of every range), and deep nesting as a value
    text = text.replace(f'"{doc["price"]}"', str(doc["price"]), 1)
    return draw(st.sampled_from([text, text[:-1] + f', "deep": {draw(_NESTED)}}}', draw(_NESTED)]))


@st.composite
def csv_line(draw: st.DrawFn, first: st.SearchStrategy[str], n_fields: int) -> str:
    fields = [draw(first)] + [draw(st.one_of(_FIELD, _NUMBER)) for _ in range(n_fields - 1)]
    return ",".join(fields[: draw(st.integers(min_value=1, max_value=n_fields + 2))])


LINES = {
    "combined": combined_line(),
    "jsonl": jsonl_line(),
    "retailrocket": csv_line(_NUMBER, 5),
    "rees46": csv_line(st.one_of(st.just("2019-10-01 00:00:00 UTC"), _FIELD, _NUMBER), 9),
}


def _outcomes(spark: SparkSession, fmt: str, lines: list[str]) -> list[dict[str, object]]:
    """Each line through parse + validate in Spark, evaluated to the end (collect)."""
    rows = [(f"/raw/dt={DAY}/f", DAY, i + 1, text, None, None) for i, text in enumerate(lines)]
    df = classify(parse(spark.createDataFrame(rows, RAW_SCHEMA), fmt), RulesConfig(), RUN_STARTED)
    # valid records also go through enrichment (URL parts, the user agent classifier) and every raw
    # line through the IP masking that quarantine rows get
    valid = df.where(F.col("reason").isNull() & F.col("filter_reason").isNull())
    enriched = enrich(valid, "fuzz").select("page_path", "device_type").collect()
    assert all(r.device_type in ("desktop", "mobile", "tablet", "bot", "unknown") for r in enriched)
    out = df.select(
        F.length(mask_ips(F.col("raw"))).alias("masked_length"),
        "source_line",
        "reason",
        "filter_reason",
        F.col("event_ts").cast("string").alias("event_ts"),
        "event_type",
        F.col("visitor_key").isNotNull().alias("has_visitor"),
        "price",
        "revenue",
        "http_status",
    ).collect()
    return [r.asDict() for r in sorted(out, key=lambda r: r["source_line"])]


def _assert_each_line_has_one_outcome(fmt: str, lines: list[str], got: list[dict[str, object]]) -> None:
    assert [r["source_line"] for r in got] == list(range(1, len(lines) + 1))
    assert all(r["masked_length"] is not None for r in got)
    for r in got:
        if r["reason"] is not None or r["filter_reason"] is not None:
            continue
        # a valid event: everything the later stages rely on is there and in range
        assert r["event_ts"] is not None and r["has_visitor"], r
        assert r["event_type"] in CANONICAL_EVENT_TYPES, r
        for k in ("price", "revenue"):
            v = r[k]
            assert v is None or abs(float(v)) < float("inf"), r  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", FORMATS)
def test_fuzzed_records_never_fail_the_parse(spark: SparkSession, fmt: str) -> None:
    # One Spark evaluation per drawn batch keeps the example count low and the test fast.
    @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.lists(LINES[fmt], min_size=1, max_size=12))
    def check(lines: list[str]) -> None:
        _assert_each_line_has_one_outcome(fmt, lines, _outcomes(spark, fmt, lines))

    check()


LONG_REQUEST = "/search?q=" + "%27%20OR%201%3D1--" * 400  # ~7 KB, attack-traffic shape
LONG_COMBINED = (
    f'198.51.100.7 - - [01/Nov/2026:10:00:00 +0000] "GET {LONG_REQUEST} HTTP/1.1" 404 512 "-" '
    '"Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"'
)


def test_a_long_combined_line_is_an_event_not_a_failed_run(spark: SparkSession) -> None:
    lines = [LONG_COMBINED, LONG_COMBINED.replace("GET ", 'GET \\"' * 3000)]
    got = _outcomes(spark, "combined", lines)
    assert [(r["reason"], r["event_type"]) for r in got] == [(None, "page_view")] * 2


OUT_OF_RANGE: dict[str, list[tuple[str, str | None]]] = {
    "retailrocket": [
        ("99999999999999999,1,view,5,", "bad_timestamp"),
        ("-99999999999999999,1,view,5,", "bad_timestamp"),
        ("1e30,1,view,5,", "bad_timestamp"),
        ("1446000000000,99999999999999999999999,view,99999999999999999999,", None),
    ],
    "rees46": [
        ("99999-10-01 00:00:00 UTC,view,1,2,,,1.0,7,s", "bad_timestamp"),
        ("2019-10-01 00:00:00 UTC,purchase,1,2,,,1e999,7,s", "bad_value"),
        ("2019-10-01 00:00:00 UTC,purchase,1,2,,,NaN,7,s", "bad_value"),
        ("2019-10-01 00:00:00 UTC,view,99999999999999999999,1e99,,,1.0,99999999999999999999,s", None),
    ],
    "jsonl": [
        (
            '{"event_ts": "+99999999-01-01T00:00:00Z", "visitor_id": "v", "event_type": "page_view"}',
            "bad_timestamp",
        ),
        ('{"event_ts": 99999999999999999, "visitor_id": "v", "event_type": "page_view"}', "bad_timestamp"),
        (
            f'{{"event_ts": "{DAY}T10:00:00Z", "visitor_id": "v", "event_type": "purchase", "revenue": 1e999}}',
            "bad_value",
        ),
        (
            f'{{"event_ts": "{DAY}T10:00:00Z", "visitor_id": "v", "event_type": "page_view", "price": "NaN"}}',
            "bad_value",
        ),
        (
            f'{{"event_ts": "{DAY}T10:00:00Z", "visitor_id": "v", "event_type": "page_view", "http_status": 99999999999}}',
            "bad_value",
        ),
        # beyond Jackson's number length limit: the JSON reader rejects the line
        (
            f'{{"event_ts": "{DAY}T10:00:00Z", "visitor_id": "v", "event_type": "page_view", "price": {"9" * 2000}}}',
            "parse_error",
        ),
    ],
    "combined": [
        ('1.2.3.4 - - [01/Nov/99999:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"', "bad_timestamp"),
        ('1.2.3.4 - - [01/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 99999999999999999999 "-" "ua"', None),
        # query parameters are hints in a web log: a non-finite price is dropped, not a reason
        (
            '1.2.3.4 - - [01/Nov/2026:10:00:00 +0000] "GET /cart/add?item=1&price=1e999 HTTP/1.1" 200 5 "-" "ua"',
            None,
        ),
    ],
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_out_of_range_numbers_are_quarantined_not_a_failed_run(spark: SparkSession, fmt: str) -> None:
    lines, reasons = zip(*OUT_OF_RANGE[fmt], strict=True)
    got = _outcomes(spark, fmt, list(lines))
    assert [r["reason"] for r in got] == list(reasons), got
    if fmt == "combined":
        assert got[2]["price"] is None, got


def test_overflowing_timestamp_through_the_whole_job(spark: SparkSession, tmp_path: Path) -> None:
    raw = tmp_path / "raw" / f"dt={DAY}"
    raw.mkdir(parents=True)
    ok_ms = int(dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC).timestamp() * 1000)
    (raw / "events.csv").write_text(
        "timestamp,visitorid,event,itemid,transactionid\n"
        f"{ok_ms},1,view,5,\n99999999999999999,2,view,5,\n{ok_ms + 1000},1,addtocart,5,\n"
    )
    res = run_job(spark, tmp_path / "raw", tmp_path / "rr", "retailrocket", end=START + dt.timedelta(days=1))
    assert res.counts["quarantined_by_reason"] == {"bad_timestamp": 1} and res.counts["valid"] == 2
    q = read(spark, tmp_path / "rr", "quarantine").collect()
    assert [(r.reason, r.source_line) for r in q] == [("bad_timestamp", 3)]


def test_a_long_combined_line_through_the_whole_job(spark: SparkSession, tmp_path: Path) -> None:
    raw = tmp_path / "raw" / f"dt={DAY}"
    raw.mkdir(parents=True)
    (raw / "access.log").write_text(LONG_COMBINED + "\n" + LONG_COMBINED.replace("/search", "/other") + "\n")
    res = run_job(spark, tmp_path / "raw", tmp_path / "out", "combined", end=START + dt.timedelta(days=1))
    assert res.counts["valid"] == 2 and res.counts["quarantined"] == 0
