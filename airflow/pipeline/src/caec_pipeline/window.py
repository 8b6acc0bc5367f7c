"""Guess the day window of a user's own log file when ``run --input`` is given without dates.

The Spark job infers its window from ``dt=YYYY-MM-DD/`` day folders; a plain file (an access log, a
Kaggle CSV) has none. Logs are written in time order, so the timestamps of the first and last records
bound the data: we read the head and tail of each file (gzip too) and parse the formats' timestamps.
Records outside the guessed window are not lost: the job counts them as ``filtered`` in the manifest.
Pass ``--start/--end`` to be exact.
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

_COMBINED_TS = re.compile(r"\[(\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\]")
_ISO_DAY = re.compile(r"(\d{4}-\d{2}-\d{2})[ T]\d{2}:\d{2}")
_SAMPLE_LINES = 2000


def has_day_folders(path: Path) -> bool:
    """True when the input is organised as ``dt=YYYY-MM-DD/`` folders (the job infers the window itself)."""
    return path.is_dir() and any(p.is_dir() and p.name.startswith("dt=") for p in path.rglob("dt=*"))


def record_day(line: str, fmt: str) -> date | None:
    """UTC day of one raw record, or None when the line has no parseable timestamp (header, garbage)."""
    text = line.strip()
    if not text:
        return None
    try:
        if fmt == "retailrocket":
            first = text.split(",", 1)[0]
            return datetime.fromtimestamp(int(first) / 1000, UTC).date() if first.isdigit() else None
        if fmt == "combined":
            match = _COMBINED_TS.search(text)
            return (
                datetime.strptime(match.group(1), "%d/%b/%Y:%H:%M:%S %z").astimezone(UTC).date()
                if match
                else None
            )
        if fmt == "jsonl":
            value = json.loads(text).get("event_ts")
            if not isinstance(value, str):
                return None
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return (moment.astimezone(UTC) if moment.tzinfo else moment).date()
        if fmt == "rees46":
            match = _ISO_DAY.match(text)
            return date.fromisoformat(match.group(1)) if match else None
    except (ValueError, OverflowError, AttributeError):
        return None
    return None


def _head_and_tail(path: Path) -> list[str]:
    with path.open("rb") as raw:
        magic = raw.read(2)
    opener = gzip.open if magic == b"\x1f\x8b" else open
    lines: list[str] = []
    tail: list[str] = []
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        for i, line in enumerate(handle):
            if i < _SAMPLE_LINES:
                lines.append(line)
            else:
                tail.append(line)
                if len(tail) > 2 * _SAMPLE_LINES:
                    tail = tail[-_SAMPLE_LINES:]
    return lines + tail[-_SAMPLE_LINES:]


def infer_window(path: Path, fmt: str) -> tuple[date, date] | None:
    """``[first day, last day + 1)`` over the head and tail of every file under ``path`` (None if no dates)."""
    files = (
        [path]
        if path.is_file()
        else sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith((".", "_")))
    )
    days = [d for f in files for line in _head_and_tail(f) if (d := record_day(line, fmt))]
    if not days:
        return None
    return min(days), max(days) + timedelta(days=1)
