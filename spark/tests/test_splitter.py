"""The raw-file splitter: Python, numpy and pyarrow on bytes, no Spark."""

from __future__ import annotations

import gzip
import random

import pytest

from caec_spark import splitter
from caec_spark.splitter import BATCH_LINES, Block, Line, file_day, split_blocks, split_file


def _reference(data: bytes) -> list[Line]:
    """What a clean or mixed file must split into, written the obvious way (line by line)."""
    parts = data.split(b"\n")
    if parts[-1] == b"":
        parts.pop()
    out = []
    for n, p in enumerate(parts, start=1):
        try:
            out.append(Line(n, p.decode("utf-8")))
        except UnicodeDecodeError:
            out.append(
                Line(n, p.decode("utf-8", errors="replace"), "bad_encoding", "line is not valid UTF-8")
            )
    return out


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


@pytest.mark.parametrize("seed", range(40))
def test_lines_match_a_line_by_line_reference(seed: int) -> None:
    # Empty lines, CR, multi-byte characters, a missing last newline and (sometimes) a bad byte.
    rng = random.Random(seed)
    pieces = ["", "a", "\r", "é", "日本", '{"k": 1}', "x" * 300, "\U0001f600"]
    lines = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 4))) for _ in range(rng.randint(1, 60))]
    data = "\n".join(lines).encode() + (b"\n" if rng.random() < 0.5 else b"")
    if seed % 4 == 0:
        at = rng.randrange(len(data) + 1)
        data = data[:at] + b"\xff" + data[at:]
    if not data:
        data = b"\n"
    assert list(split_file("f", data, "jsonl")) == _reference(data)


def test_a_large_clean_file_is_one_block_of_bounded_chunks() -> None:
    n = 2 * BATCH_LINES + 7
    data = b"".join(b'{"n": %d}\n' % i for i in range(n))
    (block,) = split_blocks("f.gz", gzip.compress(data), "jsonl")
    assert isinstance(block, Block) and block.first_line == 1 and len(block) == n
    assert [len(c) for c in block.chunks] == [BATCH_LINES, BATCH_LINES, 7]
    assert list(block.texts()) == [f'{{"n": {i}}}' for i in range(n)]


def test_a_skipped_header_keeps_numbering_across_chunks() -> None:
    rows = [f"{i},{i},view,1," for i in range(BATCH_LINES + 3)]
    data = ("timestamp,visitorid,event,itemid,transactionid\n" + "\n".join(rows)).encode()
    (block,) = split_blocks("f.csv", data, "retailrocket")
    assert isinstance(block, Block) and block.first_line == 2
    assert list(block.texts()) == rows


def test_chunks_are_also_bounded_by_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    # Arrow string offsets are 32-bit: a chunk never holds more text than _CHUNK_BYTES (1 GiB),
    # except a single line longer than that, which is a chunk of its own.
    monkeypatch.setattr(splitter, "_CHUNK_BYTES", 10)
    data = b"aaaa\nbbbb\ncccccccccccccccc\nd\ne\n"
    (block,) = split_blocks("f", data, "jsonl")
    assert isinstance(block, Block)
    assert [c.to_pylist() for c in block.chunks] == [["aaaa", "bbbb"], ["cccccccccccccccc"], ["d", "e"]]


def test_a_header_only_file_is_an_empty_block() -> None:
    (block,) = split_blocks("f.csv", b"timestamp,visitorid,event,itemid,transactionid\n", "retailrocket")
    assert isinstance(block, Block) and block.chunks == () and len(block) == 0
