"""Turn one raw file's bytes into numbered lines, never raising.

This runs inside Spark (``mapInArrow`` over a ``binaryFile`` read) so it works for any Hadoop URI
(local, file://, gs://). It works on bytes with Python, numpy and pyarrow only, hence unit-testable
without Spark. Why not ``spark.read.text``: it loses line numbers, crashes on truncated gzip and cannot
tell us which bytes were not UTF-8. Rules:

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

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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
BATCH_LINES = 50_000
"""Most lines per Arrow batch the splitter hands to Spark."""
_CHUNK_BYTES = 1 << 30
"""Most text bytes per chunk of a clean block: Arrow's string offsets are 32-bit."""


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
    """Split bytes into lines; yield (text, ok_utf8). Only for data with a non-UTF-8 line: a clean file
    never comes here (:func:`_utf8_chunks`)."""
    parts = data.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()  # a trailing newline ends the last record, it does not start a new one
    for p in parts:
        try:
            yield p.decode("utf-8"), True
        except UnicodeDecodeError:
            yield p.decode("utf-8", errors="replace"), False


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
    """A run of clean records: the concatenated ``chunks`` hold the text of lines ``first_line``,
    ``first_line + 1``, ... (newlines removed; each chunk at most :data:`BATCH_LINES` lines)."""

    first_line: int
    chunks: tuple[pa.StringArray, ...]

    def __len__(self) -> int:
        return sum(len(c) for c in self.chunks)

    def texts(self) -> Iterator[str]:
        for chunk in self.chunks:
            yield from chunk.to_pylist()


def _utf8_chunks(data: bytes) -> list[pa.StringArray] | None:
    """The lines of ``data`` as Arrow string arrays of at most :data:`BATCH_LINES` lines each, or None
    when some line is not UTF-8. A trailing newline ends the last line; it does not start an empty one.

    Why not ``data.decode().split("\n")``: a Python string per line, then converted to Arrow again, was
    most of the splitter's time after decompression (0.35 s of 0.74 s for a 107 MB file). Here the lines
    are cut by numpy from the newline positions and each chunk is one vectorised slice + UTF-8 check.
    """
    if not data.endswith(b"\n"):
        data += b"\n"  # a copy, only for files whose last line has no newline
    ends = np.flatnonzero(np.frombuffer(data, np.uint8) == 0x0A)  # each line's newline
    values = pa.py_buffer(data)  # no copy: the chunks below point into ``data`` until sliced
    chunks = []
    i = 0
    while i < len(ends):
        j = min(i + BATCH_LINES, len(ends))
        start = 0 if i == 0 else int(ends[i - 1]) + 1
        if int(ends[j - 1]) + 1 - start > _CHUNK_BYTES:
            j = max(i + 1, int(np.searchsorted(ends, start + _CHUNK_BYTES, side="left")))
        offsets = np.empty(j - i + 1, np.int64)
        offsets[0] = start
        offsets[1:] = ends[i:j] + 1
        # Each item with its newline (contiguous offsets), which the slice then drops.
        with_newline = pa.Array.from_buffers(pa.large_binary(), j - i, [None, pa.py_buffer(offsets), values])
        try:
            chunks.append(pc.binary_slice(with_newline, 0, -1).cast(pa.string()))
        except pa.ArrowInvalid:
            return None  # not UTF-8 somewhere in this chunk: the file goes line by line
        i = j
    return chunks


def split_file(path: str, content: bytes, fmt: str) -> Iterator[Line]:
    """All records of one raw file, in order, each with its 1-based line number."""
    for item in split_blocks(path, content, fmt):
        if isinstance(item, Block):
            for i, text in enumerate(item.texts()):
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
    chunks = _utf8_chunks(data) if data else []
    if chunks:
        whole = Block(1, tuple(chunks))
        n = len(whole)
        verdict = _header_verdict(chunks[0][0].as_py(), fmt)
        if verdict == "data":
            yield whole
        elif verdict == "skip":
            rest = (chunks[0].slice(1), *chunks[1:])
            yield Block(2, tuple(c for c in rest if len(c)))  # no empty chunk for a header-only file
        else:
            yield from (_bad_header_line(i, text, fmt) for i, text in enumerate(whole.texts(), start=1))
    elif chunks is None:
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
