"""Turn one raw file's bytes into numbered lines, never raising.

This runs inside Spark (``mapInArrow`` over a ``binaryFile`` read) so it works for any Hadoop URI
(local, file://, gs://). It is pure Python on bytes, hence unit-testable without Spark. Why not
``spark.read.text``: it loses line numbers, crashes on truncated gzip and cannot tell us which bytes were
not UTF-8. Rules:

- gzip is detected by magic bytes (not the extension); concatenated members are supported; a truncated or
  corrupt stream yields the lines decoded so far plus one ``corrupt_file`` record.
- a file with NUL bytes in its first 4 KiB (after decompression) is binary garbage: one ``corrupt_file``.
- an empty file yields one ``empty_file`` record (so it is counted, never silently skipped).
- lines that are not UTF-8 are ``bad_encoding`` (raw kept with U+FFFD replacements).
- CSV formats: a first line equal to the expected header is skipped (it is not a record); a first line that
  looks like a different header marks every line of the file ``bad_header``.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass

HEADERS: dict[str, tuple[str, ...]] = {
    "retailrocket": ("timestamp", "visitorid", "event", "itemid", "transactionid"),
    "rees46": (
        "event_time",
        "event_type",
        "product_id",
        "category_id",
        "category_code",
        "brand",
        "price",
        "user_id",
        "user_session",
    ),
}
# A dt=YYYY-MM-DD directory in a path (group 1: the day); also used by caec_spark_dev.duck.
DT_PATTERN = r"(?:^|/)dt=(\d{4}-\d{2}-\d{2})(?:/|$)"
_DT_RE = re.compile(DT_PATTERN)
_HEADERISH = re.compile(r"^[A-Za-z_\"][A-Za-z0-9_ \"]*(,[A-Za-z0-9_ \"]*)+$")


@dataclass(frozen=True)
class Line:
    """One record of a raw file: text or a file-level problem (``reason`` set)."""

    source_line: int
    raw: str | None
    reason: str | None = None
    detail: str | None = None


def file_day(path: str) -> str | None:
    """The ``dt=YYYY-MM-DD`` day directory a file sits in, if any (the generator's and Airflow's layout)."""
    m = _DT_RE.search(path)
    return m.group(1) if m else None


def _gunzip(content: bytes) -> tuple[bytes, str | None]:
    """Decompress all gzip members; on damage return what was decoded and a description."""
    out: list[bytes] = []
    data = content
    while data:
        d = zlib.decompressobj(wbits=31)
        try:
            out.append(d.decompress(data))
            out.append(d.flush())
        except zlib.error as exc:
            # Keep whatever the decompressor produced before the damage.
            return b"".join(out), f"corrupt gzip stream after {sum(map(len, out))} bytes: {exc}"
        if not d.eof:
            return b"".join(out), f"truncated gzip stream after {sum(map(len, out))} decompressed bytes"
        data = d.unused_data
        if data and data[:2] != b"\x1f\x8b":
            if data.strip(b"\x00") == b"":
                break  # zero padding after the last member is harmless
            return b"".join(out), f"trailing garbage ({len(data)} bytes) after gzip member"
    return b"".join(out), None


def _decode_lines(data: bytes) -> Iterator[tuple[str, bool]]:
    """Split bytes into lines; yield (text, ok_utf8). Fast path: the whole buffer decodes at once."""
    if not data:
        return
    parts = data.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()  # a trailing newline ends the last record, it does not start a new one
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        for p in parts:
            try:
                yield p.decode("utf-8"), True
            except UnicodeDecodeError:
                yield p.decode("utf-8", errors="replace"), False
        return
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for s in lines:
        yield s, True


def _header_verdict(first: str, fmt: str) -> str:
    """'skip' for the expected header, 'bad' for another header-like line, 'data' otherwise."""
    expected = HEADERS.get(fmt)
    if expected is None:
        return "data"
    cols = tuple(c.strip().strip('"').lower() for c in first.rstrip("\r").split(","))
    if cols == expected:
        return "skip"
    if _HEADERISH.match(first.rstrip("\r")) and not any(ch.isdigit() for ch in cols[0]):
        return "bad"
    return "data"


@dataclass(frozen=True)
class Block:
    """A run of clean records: ``lines[i]`` is the text of line ``first_line + i`` (no reason)."""

    first_line: int
    lines: list[str]


def split_file(path: str, content: bytes, fmt: str) -> Iterator[Line]:
    """All records of one raw file, in order, each with its 1-based line number."""
    for item in split_blocks(path, content, fmt):
        if isinstance(item, Block):
            for i, text in enumerate(item.lines):
                yield Line(item.first_line + i, text)
        else:
            yield item


def split_blocks(path: str, content: bytes, fmt: str) -> Iterator[Line | Block]:
    """:func:`split_file`, with the common case (a whole file of clean UTF-8 lines) as one :class:`Block`.

    Why: building a Python object per line cost most of the job's read stage; a block becomes Arrow
    columns in a few vectorised calls. Problem records still come one :class:`Line` each.
    """
    if len(content) == 0:
        yield Line(0, None, "empty_file", "file has no bytes")
        return
    problem: str | None = None
    data = content
    if content[:2] == b"\x1f\x8b":
        data, problem = _gunzip(content)
    if b"\x00" in data[:4096]:
        yield Line(0, None, "corrupt_file", f"binary content (NUL bytes) in {len(data)} bytes")
        return
    if not data and problem is None:
        yield Line(0, None, "empty_file", "file decompresses to no bytes")
        return
    n = 0
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and text:
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()  # a trailing newline ends the last record, it does not start a new one
        n = len(lines)
        verdict = _header_verdict(lines[0], fmt) if lines else "data"
        if verdict == "data":
            yield Block(1, lines)
        elif verdict == "skip":
            yield Block(2, lines[1:])
        else:
            yield from (_bad_header_line(i, text, fmt) for i, text in enumerate(lines, start=1))
    elif text is None:
        n = yield from _mixed_lines(data, fmt)
    if problem is not None:
        yield Line(n + 1, None, "corrupt_file", f"{problem}; {n} line(s) before the damage were read")


def _bad_header_line(n: int, text: str, fmt: str) -> Line:
    """Line ``n`` of a file whose first line is a header of other columns (the header itself is line 1)."""
    if n == 1:
        expected = ",".join(HEADERS[fmt])
        return Line(n, text, "bad_header", f"header does not match {fmt}: expected {expected}")
    return Line(n, text, "bad_header", f"file header does not match the {fmt} columns")


def _mixed_lines(data: bytes, fmt: str) -> Generator[Line, None, int]:
    """Line by line, for a file with some non-UTF-8 lines; returns the number of lines."""
    header_state = "pending"
    n = 0
    for n, (text, ok) in enumerate(_decode_lines(data), start=1):
        if header_state == "pending":
            header_state = _header_verdict(text, fmt) if ok else "data"
            if header_state == "skip":
                continue
            if header_state == "bad":
                yield _bad_header_line(n, text, fmt)
                continue
        if not ok:
            yield Line(n, text, "bad_encoding", "line is not valid UTF-8")
        elif header_state == "bad":
            yield _bad_header_line(n, text, fmt)
        else:
            yield Line(n, text)
    return n
