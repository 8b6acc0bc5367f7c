"""Progress of long child processes, parsed from their own structured progress lines.

Only lines in a known progress format move the bar: dbt's ``N of M STATUS`` and the Spark job's
``caec-spark HH:MM:SS [i/n step]`` (its logger's fixed prefix is the marker). Free text never does: a
log line, a URL or a record that happens to contain "90%" or "3/8" is not progress, and reading it as
such made the bar jump backwards. Within a stage the fraction only grows; Spark's own console bar
(one per Spark stage, each from 0) updates the status text only. Lines are split on CR too, because
progress bars redraw with ``\\r``. Parsing is pure and tested; drawing adapts to the terminal: a
redrawn bar on a TTY, a line every few seconds or every 10% in logs and CI.
"""

from __future__ import annotations

import re
import shutil
import sys
import time
from dataclasses import dataclass
from typing import TextIO

# dbt: "12:00:01  3 of 42 OK created sql table model main.fct_sessions ..... [OK in 0.31s]"
_DBT_DONE = re.compile(r"\b(\d+) of (\d+) (OK|PASS|ERROR|FAIL|WARN|SKIP|NO-OP)\b")
_DBT_START = re.compile(r"\b(\d+) of (\d+) START\b")
# Spark console progress bar: "[Stage 3:=====>        (12 + 2) / 40]"
_SPARK_STAGE = re.compile(r"\[Stage (\d+):[=> ]*\((\d+) \+ (\d+)\) / (\d+)\]")
# The Spark job's steps (caec_spark.log): "caec-spark 12:00:01 [3/8 parse] parsing and validating records"
_OWN_STEP = re.compile(r"^caec-spark \d\d:\d\d:\d\d \[(\d+)/(\d+) [^\]]*\]")


@dataclass
class Progress:
    """What we know about a running stage: a fraction (None = unknown) and a short status text."""

    fraction: float | None = None
    status: str = ""


def split_output(chunk: str) -> list[str]:
    """Split child output on LF and CR (progress bars redraw a line with CR)."""
    return [part for part in re.split(r"[\r\n]+", chunk) if part.strip()]


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_OWN_PREFIX = re.compile(r"^caec-spark (?:\d\d:\d\d:\d\d |generate: )")


def _advance(current: Progress, fraction: float, status: str) -> Progress:
    """Progress never goes back within a stage (a retried dbt node, a repeated step line)."""
    return Progress(max(current.fraction or 0.0, min(fraction, 1.0)), status)


def parse_line(line: str, current: Progress) -> Progress:
    """Update progress from one output line (pure; returns a new Progress)."""
    plain = _ANSI.sub("", line).strip()
    text = _OWN_PREFIX.sub("", plain)
    match = _OWN_STEP.match(plain)
    if match and int(match.group(2)) > 0:
        return _advance(current, int(match.group(1)) / int(match.group(2)), _shorten(text))
    match = _DBT_DONE.search(text)
    if match and int(match.group(2)) > 0:
        return _advance(current, int(match.group(1)) / int(match.group(2)), _shorten(text[match.start() :]))
    match = _DBT_START.search(text)
    if match and int(match.group(2)) > 0:
        done = (int(match.group(1)) - 1) / int(match.group(2))
        return _advance(current, done, _shorten(text[match.start() :]))
    match = _SPARK_STAGE.search(text)
    if match:
        done, total = int(match.group(2)), int(match.group(4))
        return Progress(current.fraction, f"Spark stage {match.group(1)}: {done}/{total} tasks")
    if _is_noise(text) or _ANSI.sub("", line)[:1].isspace() or re.search(r"\w+Warning: ", text):
        return current  # warnings and their indented source lines say nothing about progress
    return Progress(current.fraction, _shorten(text))


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
