"""The day window of a run: one frozen :class:`DayWindow`, validated once where the request comes in.

Every stage works on a half-open range of UTC days ``[start, end)``, exactly like Airflow's data
interval (the daily run for 2026-11-02 has start=2026-11-02, end=2026-11-03). A window is made at an
edge and then passed, as is, to every stage:

* the CLI and ``make run`` (:meth:`DayWindow.parse` of ``--start/--end``; a sample run's default),
* a DAG run (:func:`resolve`: params ``start``/``end`` of a manual backfill, else the data interval),
* a user's own files given without dates (:func:`window_of_input`: their ``dt=YYYY-MM-DD/`` day
  folders, else the first and last records' timestamps).

Nothing downstream re-derives it: the Spark job receives ``--start/--end`` always, dbt its vars, the
gate and publish the same object; nobody reads outputs back to learn what was asked.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

# Params of the DAG that override the data interval (manual runs / backfills).
PARAM_START = "start"
PARAM_END = "end"


def parse_day(text: str) -> date:
    """Parse ``YYYY-MM-DD`` with an error that says what was expected."""
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date: expected YYYY-MM-DD, e.g. 2026-11-02") from None


@dataclass(frozen=True)
class DayWindow:
    """The UTC days ``[start, end)`` of a run; ``end`` is exclusive and after ``start`` (checked here)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, date) or isinstance(value, datetime):
                raise TypeError(f"DayWindow.{name} must be a date, got {value!r}")
        if self.end <= self.start:
            raise ValueError(
                f"empty date range [{self.start}, {self.end}): END is exclusive, so it must be after START "
                f"(for the single day {self.start} use END={self.start + timedelta(days=1)})"
            )

    @classmethod
    def parse(cls, start: str, end: str) -> DayWindow:
        """From two ``YYYY-MM-DD`` texts (CLI args, DAG params)."""
        return cls(parse_day(start), parse_day(end))

    @classmethod
    def of_days(cls, start: date, days: int) -> DayWindow:
        """``days`` days from ``start``."""
        if days <= 0:
            raise ValueError(f"--days must be positive, got {days}")
        return cls(start, start + timedelta(days=days))

    @classmethod
    def of_interval(cls, interval_start: datetime | date, interval_end: datetime | date) -> DayWindow:
        """The UTC days an Airflow data interval covers.

        A daily schedule gives exactly one day; an interval ending mid-day covers the day it ends in, so
        no hour of data is left out. Naive datetimes are taken as UTC.
        """
        start = _utc_day(interval_start, round_up=False)
        end = _utc_day(interval_end, round_up=True)
        return cls(start, max(end, start + timedelta(days=1)))

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def __iter__(self) -> Iterator[date]:
        """Every day of the window, in order."""
        return (self.start + timedelta(days=i) for i in range(self.days))

    def overlaps(self, start: date, end: date) -> bool:
        return self.start < end and start < self.end

    def args(self) -> list[str]:
        """``--start S --end E``: how every command line of the pipeline receives the window."""
        return ["--start", self.start.isoformat(), "--end", self.end.isoformat()]

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}

    def __str__(self) -> str:
        return f"{self.start} .. {self.end} (end exclusive)"


def _utc_day(value: datetime | date, *, round_up: bool) -> date:
    if not isinstance(value, datetime):
        return value
    moment = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    day = moment.date()
    midnight = moment.hour == moment.minute == moment.second == moment.microsecond == 0
    return day + timedelta(days=1) if round_up and not midnight else day


# ---------------------------------------------------------------------------- edge: a DAG run


def resolve(
    params: Mapping[str, Any] | None,
    interval_start: datetime | date | None,
    interval_end: datetime | date | None,
) -> DayWindow:
    """The window of a DAG run: params ``start``/``end`` when given, else the data interval.

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
        return DayWindow.parse(str(start_text), str(end_text))
    if interval_start is None or interval_end is None:
        raise ValueError(
            "this run has no data interval (a manual run without a logical date): trigger it with a "
            "logical date, or with params 'start' and 'end' (YYYY-MM-DD, end exclusive)"
        )
    return DayWindow.of_interval(interval_start, interval_end)


# ---------------------------------------------------------------------------- edge: a user's own files

_DT_DIR = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")
_COMBINED_TS = re.compile(r"\[(\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\]")
_ISO_DAY = re.compile(r"(\d{4}-\d{2}-\d{2})[ T]\d{2}:\d{2}")
_SAMPLE_LINES = 2000


def _data_files(path: Path) -> list[Path]:
    """Data files under a file or folder; names starting with '.' or '_' are metadata (Spark's rule)."""
    if path.is_file():
        return [path]
    return sorted(
        p
        for p in path.rglob("*")
        if p.is_file() and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
    )


def day_folder_window(path: Path) -> DayWindow | None:
    """``[first dt= day, last dt= day + 1)`` of the files under ``dt=YYYY-MM-DD/`` folders, or None."""
    days = []
    for file in _data_files(path) if path.is_dir() else []:
        for part in file.relative_to(path).parts[:-1]:
            if match := _DT_DIR.match(part):
                days.append(parse_day(match.group(1)))
    return DayWindow(min(days), max(days) + timedelta(days=1)) if days else None


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


def guess_from_records(path: Path, fmt: str) -> DayWindow | None:
    """``[first day, last day + 1)`` over the head and tail of every file under ``path`` (None if no dates).

    Logs are written in time order, so the first and last records bound the data. Records outside the
    guess are not lost: the job counts them as ``filtered`` in the manifest.
    """
    days = [d for f in _data_files(path) for line in _head_and_tail(f) if (d := record_day(line, fmt))]
    return DayWindow(min(days), max(days) + timedelta(days=1)) if days else None


def window_of_input(path: Path, fmt: str) -> tuple[DayWindow, str]:
    """The window of a local input given without dates, and how it was found (for the run's header).

    ``dt=YYYY-MM-DD/`` day folders (the generator's and the DAG's layout) name their days; a plain file
    (an access log, a Kaggle CSV) has only its records' timestamps. Raises ValueError when neither tells.
    """
    folders = day_folder_window(path)
    if folders is not None:
        return folders, "from its dt= day folders"
    records = guess_from_records(path, fmt)
    if records is None:
        raise ValueError(f"found no {fmt} timestamps in {path}: check --format, or pass --start and --end")
    return records, "guessed from the first and last records (--start/--end to set it)"
