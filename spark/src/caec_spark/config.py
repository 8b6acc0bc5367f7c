"""Typed configuration of the sessionization job.

All behaviour that changes which session an event lands in lives in :class:`RulesConfig`, so one object
(and its ``rules_version``) explains every session a run wrote. Run-level settings (where to read and
write, which window) live in :class:`RunConfig`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMATS = ("retailrocket", "rees46", "combined", "jsonl")
DEV_SALT = "caec-dev-salt-not-for-production"
SALT_ENV = "CAEC_IDENTITY_SALT"
DEFAULT_LOOKBACK_HOURS = 6


@dataclass(frozen=True)
class RulesConfig:
    """Sessionization, bot and validation rules; ``rules_version`` is stamped on every row.

    Change ``rules_version`` whenever a value changes: sessions written under different rules are then
    distinguishable downstream.
    """

    rules_version: str = "2026.12-1"
    inactivity_timeout_s: int = 30 * 60
    """A gap strictly greater than this starts a new session (``gap > timeout``)."""
    max_session_s: int = 24 * 3600
    """Sessions are cut into consecutive chunks of this length measured from the start of the activity run."""
    split_on_campaign_change: bool = False
    """Start a new session when ``utm_campaign`` is set and differs from the visitor's previous campaign."""
    bot_min_events: int = 20
    """Behavioural rate rule: only sessions with at least this many events can be rate bots."""
    bot_max_events_per_minute: float = 30.0
    """Behavioural rate rule: more events per minute than this (over the session) marks a bot."""
    bot_robots_txt: bool = True
    """A request for /robots.txt marks the session as a bot."""
    bot_poll_min_events: int = 10
    """Poller rule: only sessions with at least this many events can be pollers (feed readers, monitors)."""
    bot_poll_min_share: float = 0.9
    """Poller rule: the session's most requested page path has at least this share of its events."""
    max_line_bytes: int = 1024 * 1024
    """Lines longer than this are quarantined as ``line_too_long``."""
    quarantine_raw_chars: int = 64 * 1024
    """Raw text kept in quarantine rows is truncated to this many characters."""
    future_grace_hours: int = 24
    """An event later than the end of its file's day plus this grace is ``future_timestamp``."""
    late_arrival_days: int = 1
    """Raw files this many days after the window are read too, to pick up late events of the window."""

    def __post_init__(self) -> None:
        if self.inactivity_timeout_s <= 0:
            raise ValueError("inactivity_timeout_s must be > 0")
        if self.max_session_s < self.inactivity_timeout_s:
            raise ValueError("max_session_s must be >= inactivity_timeout_s")
        if self.max_session_s > 24 * 3600:
            # The look-back/state design relies on a session touching at most two UTC days.
            raise ValueError("max_session_s must be <= 86400 (a session may touch at most two UTC days)")
        if not 0 < self.bot_poll_min_share <= 1:
            raise ValueError("bot_poll_min_share must be in (0, 1]")
        if self.late_arrival_days < 0:
            raise ValueError("late_arrival_days must be >= 0")

    @classmethod
    def from_json(cls, path: str | Path) -> RulesConfig:
        """Load rules from a JSON object whose keys are field names; unknown keys are an error."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{path}: rules config must be a JSON object")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{path}: unknown rules keys {unknown}; known keys: {sorted(known)}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class DayWindow:
    """The half-open window ``[start, end)`` of UTC days a run sessionizes.

    Validated once, where it enters (the CLI's ``--start``/``--end``); everything in the job takes it as
    given. The caller states the window: the job never infers it from the input's ``dt=`` folders.
    """

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
                raise ValueError(f"window {name} must be a date (YYYY-MM-DD), got {value!r}")
        if self.end <= self.start:
            raise ValueError(
                f"--end ({self.end}) must be after --start ({self.start}); the window is [start, end)"
            )

    @classmethod
    def parse(cls, start: str, end: str) -> DayWindow:
        """The window of two ``YYYY-MM-DD`` texts (ValueError naming the bad one)."""
        days = []
        for name, text in (("--start", start), ("--end", end)):
            try:
                days.append(dt.date.fromisoformat(text))
            except (TypeError, ValueError):
                raise ValueError(f"{name} is not a date (YYYY-MM-DD): {text!r}") from None
        return cls(days[0], days[1])

    @property
    def start_ts(self) -> dt.datetime:
        """Midnight (UTC, naive as Spark's session time zone reads it) opening the window."""
        return dt.datetime(self.start.year, self.start.month, self.start.day)

    @property
    def end_ts(self) -> dt.datetime:
        """Midnight after the window's last day (exclusive)."""
        return dt.datetime(self.end.year, self.end.month, self.end.day)

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day < self.end

    def __str__(self) -> str:
        return f"[{self.start}, {self.end})"

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclass(frozen=True)
class RunConfig:
    """One run of the job: inputs, outputs and the window of days it covers."""

    input_uri: str
    fmt: str
    output_uri: str
    window: DayWindow
    run_id: str
    lookback_hours: int = DEFAULT_LOOKBACK_HOURS
    quarantine_uri: str | None = None
    rules: RulesConfig = field(default_factory=RulesConfig)
    salt: str = DEV_SALT

    def __post_init__(self) -> None:
        if self.fmt not in FORMATS:
            raise ValueError(f"unknown format {self.fmt!r}; choose one of {', '.join(FORMATS)}")
        if not isinstance(self.window, DayWindow):
            raise TypeError(f"window must be a DayWindow, got {self.window!r}")
        if not 0 <= self.lookback_hours <= 48:
            raise ValueError("--lookback-hours must be between 0 and 48")

    @property
    def lookback_ts(self) -> dt.datetime:
        """Where the look-back context starts (used only when no visitor state is published)."""
        return self.window.start_ts - dt.timedelta(hours=self.lookback_hours)

    @property
    def quarantine_root(self) -> str:
        return self.quarantine_uri or join_uri(self.output_uri, "quarantine")


def join_uri(base: str, *parts: str) -> str:
    """Join URI segments with '/', for local paths, file:// and gs:// alike."""
    out = base.rstrip("/")
    for p in parts:
        out = f"{out}/{p.strip('/')}"
    return out


def identity_salt(env: dict[str, str] | None = None) -> str:
    """Salt for visitor keys; the dev default works offline but warns, since it makes hashes guessable."""
    env = dict(os.environ) if env is None else env
    salt = env.get(SALT_ENV, "")
    if not salt:
        print(
            f"caec-spark: WARNING {SALT_ENV} is not set; using the public dev salt (never do this in production)",
            file=sys.stderr,
        )
        return DEV_SALT
    return salt
