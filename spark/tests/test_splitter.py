"""The raw-file splitter: pure Python, no Spark."""

from __future__ import annotations

import gzip

from caec_spark.splitter import Line, file_day, split_file


def test_plain_lines_numbered_and_trailing_newline_is_not_a_record() -> None:
    assert list(split_file("a.jsonl", b"x\ny\n", "jsonl")) == [Line(1, "x"), Line(2, "y")]


def test_gzip_by_magic_bytes_and_concatenated_members() -> None:
    data = gzip.compress(b"a\nb\n") + gzip.compress(b"c\n")
    assert [ln.raw for ln in split_file("noext", data, "jsonl")] == ["a", "b", "c"]


def test_truncated_gzip_keeps_what_was_read_and_adds_corrupt_file() -> None:
    body = b"".join(b'{"n": %d}\n' % i for i in range(5000))
    data = gzip.compress(body)[:-200]
    out = list(split_file("f.gz", data, "jsonl"))
    assert out[-1].reason == "corrupt_file"
    readable = [ln for ln in out if ln.reason is None]
    assert 0 < len(readable) < 5000
    assert "truncated gzip" in (out[-1].detail or "")


def test_binary_garbage_is_one_corrupt_file_record() -> None:
    out = list(split_file("f.bin", bytes(range(256)) * 10, "jsonl"))
    assert [ln.reason for ln in out] == ["corrupt_file"]


def test_garbage_with_gzip_magic_is_corrupt_not_a_crash() -> None:
    out = list(split_file("f.gz", b"\x1f\x8b" + b"\xff" * 100, "jsonl"))
    assert out[-1].reason == "corrupt_file"


def test_empty_file_is_counted() -> None:
    assert [ln.reason for ln in split_file("e", b"", "jsonl")] == ["empty_file"]
    assert [ln.reason for ln in split_file("e.gz", gzip.compress(b""), "jsonl")] == ["empty_file"]


def test_non_utf8_line_is_flagged_others_are_not() -> None:
    out = list(split_file("f", b"ok\n\xff\xfebad\nok2\n", "jsonl"))
    assert [(ln.source_line, ln.reason) for ln in out] == [(1, None), (2, "bad_encoding"), (3, None)]


def test_expected_csv_header_is_skipped_but_line_numbers_kept() -> None:
    data = b"timestamp,visitorid,event,itemid,transactionid\n1,2,view,3,\n"
    assert list(split_file("f.csv", data, "retailrocket")) == [Line(2, "1,2,view,3,")]


def test_wrong_header_quarantines_the_file() -> None:
    data = b"ts,user,action\n1,2,view\n"
    out = list(split_file("f.csv", data, "retailrocket"))
    assert [ln.reason for ln in out] == ["bad_header", "bad_header"]


def test_file_day_from_layout() -> None:
    assert file_day("gs://b/raw/dt=2026-11-02/part-00000.jsonl.gz") == "2026-11-02"
    assert file_day("/x/y.jsonl") is None
