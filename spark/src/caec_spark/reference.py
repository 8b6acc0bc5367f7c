"""A small, obviously-correct pure-Python sessionizer: the oracle the Spark one is tested against.

Same rules as transforms.sessionize (RulesConfig), written as a plain loop per visitor.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from caec_spark.config import RulesConfig


@dataclass(frozen=True)
class RefEvent:
    visitor_id: str
    t_micros: int
    event_id: str
    utm_campaign: str | None = None


@dataclass(frozen=True)
class RefAssignment:
    session_id: str
    seq_in_session: int
    session_index: int
    session_start_micros: int


def session_id(visitor_id: str, start_micros: int) -> str:
    """Same as transforms.sessionize.session_id_col: sha256 of 'visitor|start' (first 32 hex chars)."""
    return hashlib.sha256(f"{visitor_id}|{start_micros}".encode()).hexdigest()[:32]


def sessionize(events: Iterable[RefEvent], rules: RulesConfig) -> dict[str, RefAssignment]:
    """event_id -> assignment, for events of any number of visitors (no prior state)."""
    by_visitor: dict[str, list[RefEvent]] = defaultdict(list)
    for e in events:
        by_visitor[e.visitor_id].append(e)
    timeout = rules.inactivity_timeout_s * 1_000_000
    max_len = rules.max_session_s * 1_000_000
    out: dict[str, RefAssignment] = {}
    for visitor, evs in by_visitor.items():
        evs.sort(key=lambda e: (e.t_micros, e.event_id))
        sessions: list[list[RefEvent]] = []
        run_start = prev_t = 0
        last_campaign: str | None = None
        current_key: tuple[int, int] | None = None
        for e in evs:
            new_run = not sessions or e.t_micros - prev_t > timeout
            if (
                rules.split_on_campaign_change
                and e.utm_campaign is not None
                and last_campaign is not None
                and e.utm_campaign != last_campaign
            ):
                new_run = True
            if new_run:
                run_start = e.t_micros
            key = (run_start, (e.t_micros - run_start) // max_len)
            if key != current_key:
                sessions.append([])
                current_key = key
            sessions[-1].append(e)
            prev_t = e.t_micros
            if e.utm_campaign is not None:
                last_campaign = e.utm_campaign
        for index, sess in enumerate(sessions, start=1):
            start = sess[0].t_micros
            sid = session_id(visitor, start)
            for seq, e in enumerate(sess, start=1):
                out[e.event_id] = RefAssignment(sid, seq, index, start)
    return out
