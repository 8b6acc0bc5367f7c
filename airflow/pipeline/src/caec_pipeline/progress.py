"""Progress of long child processes, read from the structured progress they emit.

Two components report progress as JSON lines, one object per line, read with ``json.loads``:

* the Spark job, on stderr: ``{"caec": "progress", "component": "spark", "time": "<UTC ISO-8601>",
  "step": 3, "steps": 8, "stage": "parse", "message": "parsing and validating records"}``
  (``step``/``steps`` absent on lines that are not a step);
* dbt, run with ``--log-format json``: its node events (``LogStartLine``, ``LogModelResult``,
  ``LogTestResult``, ...) carry ``data.index`` and ``data.total`` (``num_models`` for tests).

Only those fields move the bar. Free text never does: a log line, a URL or a record that happens to
contain "90%" or "3/8" is not progress. Within a stage the fraction only grows; Spark's own console bar
(one per Spark stage, each from 0) updates the status text only. Lines are split on CR too, because
progress bars redraw with ``\\r``. Parsing is pure and tested; drawing adapts to the terminal: a
redrawn bar on a TTY, a line every few seconds or every 10% in logs and CI.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from dataclasses import dataclass
from typing import Any, TextIO

# Spark console progress bar: "[Stage 3:=====>        (12 + 2) / 40]" (status text only)
_SPARK_STAGE = re.compile(r"\[Stage (\d+):[=> ]*\((\d+) \+ (\d+)\) / (\d+)\]")
# dbt events that open a node: progress is the nodes finished before it.
_DBT_START_EVENTS = frozenset({"LogStartLine"})


@dataclass
class Progress:
    """What we know about a running stage: a fraction (None = unknown) and a short status text."""

    fraction: float | None = None
    status: str = ""


@dataclass(frozen=True)
class Line:
    """One output line, read: its text for people (log, failure excerpt) and what it says of progress.

    ``done``/``total``: a count of finished units (steps, dbt nodes) when the line reports one.
    """

    text: str
    status: str | None = None
    done: int | None = None
    total: int | None = None


def split_output(chunk: str) -> list[str]:
    """Split child output on LF and CR (progress bars redraw a line with CR)."""
    return [part for part in re.split(r"[\r\n]+", chunk) if part.strip()]


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _json_object(line: str) -> dict[str, Any] | None:
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_line(line: str) -> Line:
    """What one output line says (pure): the Spark job's and dbt's JSON lines, or plain text."""
    event = _json_object(line)
    if event is not None and event.get("caec") == "progress":
        step, steps = _count(event.get("step")), _count(event.get("steps"))
        message = _ANSI.sub("", str(event.get("message", ""))).strip()
        stage = str(event.get("stage", "")).strip()
        label = f"[{step}/{steps} {stage}]" if step is not None and steps else f"[{stage}]" if stage else ""
        status = " ".join(part for part in (label, message) if part)
        text = f"{event.get('component', '')} {event.get('time', '')} {status}".strip()
        return Line(text, status, step, steps) if steps else Line(text, status)
    if event is not None and isinstance(event.get("info"), dict) and isinstance(event.get("data"), dict):
        return _dbt_event(event["info"], event["data"])
    plain = _ANSI.sub("", line).strip()
    match = _SPARK_STAGE.search(plain)
    if match:
        return Line(plain, f"Spark stage {match.group(1)}: {match.group(2)}/{match.group(4)} tasks")
    if _is_noise(plain) or _ANSI.sub("", line)[:1].isspace() or re.search(r"\w+Warning: ", plain):
        return Line(plain)  # warnings and their indented source lines say nothing about progress
    return Line(plain, plain)


def _dbt_event(info: dict[str, Any], data: dict[str, Any]) -> Line:
    """A dbt JSON log event: its message, and the node count of node start/result events."""
    text = _ANSI.sub("", str(info.get("msg", ""))).rstrip()
    status = text.strip() if info.get("level") != "debug" and text.strip() else None
    index, total = _count(data.get("index")), _count(data.get("total")) or _count(data.get("num_models"))
    if index is None or not total:
        return Line(text, status)
    if info.get("name") in _DBT_START_EVENTS:
        return Line(text, status, index - 1, total)
    if "status" in data:  # a node result: LogModelResult, LogTestResult, LogSeedResult, ...
        return Line(text, status, index, total)
    return Line(text, status)


def advance(current: Progress, line: Line) -> Progress:
    """The stage's progress after ``line``: a count moves the fraction forward, never back."""
    status = _shorten(line.status) if line.status else current.status
    if line.done is not None and line.total:
        fraction = max(current.fraction or 0.0, min(line.done / line.total, 1.0))
        return Progress(fraction, status)
    return Progress(current.fraction, status)


def parse_line(line: str, current: Progress) -> Progress:
    """Update progress from one output line (pure; returns a new Progress)."""
    return advance(current, read_line(line))


def _is_noise(text: str) -> bool:
    """Lines that say nothing to a user (JVM/log4j chatter, blank separators)."""
    return bool(
        re.match(r"^(\d\d/\d\d/\d\d \d\d:\d\d:\d\d )?(WARN|INFO|DEBUG)\b", text)
        or text.startswith(("Setting default log level", "To adjust logging level", "SLF4J", "WARNING: "))
        or set(text) <= set("=-_ .")
    )


def _shorten(text: str, width: int = 70) -> str:
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= width else text[: width - 1] + "…"


def bar(fraction: float | None, width: int = 24) -> str:
    """Text progress bar; unknown progress shows an empty frame."""
    if fraction is None:
        return "[" + " " * width + "]"
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "[" + "#" * filled + "." * (width - filled) + f"] {fraction:4.0%}"


def format_seconds(seconds: float) -> str:
    """``42.1s`` or ``3m05s``."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s"


class ProgressLine:
    """Draws the progress of one stage: redrawn in place on a TTY, throttled lines otherwise."""

    def __init__(self, label: str, stream: TextIO | None = None, interval_s: float = 30.0) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval_s = interval_s
        self.started = time.monotonic()
        self._last_print = self.started
        self._last_fraction: float | None = None
        self._last_status = ""
        self._drawn = False
        self.width = max(60, shutil.get_terminal_size((120, 24)).columns - 2)

    def update(self, progress: Progress, *, force: bool = False) -> None:
        now = time.monotonic()
        elapsed = format_seconds(now - self.started)
        if self.tty:
            line = f"    {bar(progress.fraction)} {elapsed:>7}  {progress.status}"
            self.stream.write("\r" + line[: self.width].ljust(self.width))
            self.stream.flush()
            self._drawn = True
            return
        moved = progress.fraction is not None and (
            self._last_fraction is None or progress.fraction - self._last_fraction >= 0.1
        )
        # Logs/CI: a line per 10% of progress, per new status (at most every 5 s), else a 30 s heartbeat.
        changed = progress.status != self._last_status and now - self._last_print >= 5.0
        if force or moved or changed or now - self._last_print >= self.interval_s:
            self.stream.write(f"    {bar(progress.fraction)} {elapsed:>7}  {progress.status}\n")
            self.stream.flush()
            self._last_print = now
            self._last_status = progress.status
            if progress.fraction is not None:
                self._last_fraction = progress.fraction

    def close(self) -> None:
        """Clear the redrawn line so the stage's result line starts clean."""
        if self.tty and self._drawn:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
