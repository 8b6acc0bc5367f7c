"""Erasing a data subject: the three steps as argv lists, and what they read from the erasure ledger.

1. ``erase_staging``: ``python -m caec_spark erase`` hashes the raw keys (the job's own hash and salt),
   records the request in the ledger ``<staging>/_erasure/ledger.jsonl`` (hashed ids only), rewrites the
   staged partitions holding the visitor and publishes them through the pointer.
2. ``erase_marts``: ``dbt run-operation erase_visitors`` deletes the ledger's ids from every mart table
   with a visitor key and logs the rows removed per table (``erasure_log``).
3. ``rebuild_marts``: ``dbt build`` over the days the ledger says were rewritten (aggregates).

Pure functions of (config, request) like :mod:`caec_pipeline.steps`: the CLI (``make erase``), the DAG's
local mode, the SparkApplication and the dbt pod all run these argv lists. The raw keys appear only in
step 1's arguments; steps 2 and 3 read the hashed ids back from the ledger by request id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from caec_pipeline.config import INPUT_FORMATS, PipelineConfig, join_uri
from caec_pipeline.steps import Stage, dbt_build_args, dbt_project_args, dbt_stage, spark_stage
from caec_pipeline.storage import read_text
from caec_pipeline.window import DayWindow, parse_day

LEDGER = "_erasure/ledger.jsonl"
# Datasets whose days the marts read (the visitor state is Spark's own).
MART_SOURCES = ("events", "sessions", "quarantine")
# Request ids name folders (``v=<request id>_<attempt>``): no ':' (Hadoop reads it as a URI scheme).
_REQUEST_ID = re.compile(r"[^A-Za-z0-9_.-]+")


class ErasureError(RuntimeError):
    """The ledger has no usable entry for the request."""


@dataclass(frozen=True)
class SubjectKeys:
    """Raw keys of one data subject as the formats define them (docs/formats.md, docs/privacy.md)."""

    user_ids: tuple[str, ...] = ()
    cookie_ids: tuple[str, ...] = ()
    ip: str | None = None
    user_agent: str | None = None
    formats: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.formats) - set(INPUT_FORMATS))
        if unknown:
            raise ValueError(f"unknown format(s) {unknown}: use one of {', '.join(INPUT_FORMATS)}")
        if not (self.user_ids or self.cookie_ids or self.ip or self.user_agent):
            raise ValueError("give the subject's USER_ID, COOKIE_ID, or IP and UA (see make erase --help)")
        if bool(self.ip) != bool(self.user_agent):
            raise ValueError("IP and UA go together: the key of a visitor without an id is the pair")

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> SubjectKeys:
        """From DAG params / CLI values (``user_id``, ``cookie_id``, ``ip``, ``user_agent``, ``format``)."""

        def text(name: str) -> str | None:
            value = params.get(name)
            return str(value).strip() or None if value is not None else None

        return cls(
            user_ids=tuple(v for v in [text("user_id")] if v),
            cookie_ids=tuple(v for v in [text("cookie_id")] if v),
            ip=text("ip"),
            user_agent=text("user_agent"),
            formats=tuple(v for v in [text("format")] if v),
        )


def request_id_for(text: str) -> str:
    """A ledger request id from any run id: ``[A-Za-z0-9_.-]``, at most 200 characters."""
    return ("erase_" + _REQUEST_ID.sub("_", text).strip("_"))[:200]


def erase_args(cfg: PipelineConfig, keys: SubjectKeys, requested_by: str, request_id: str) -> list[str]:
    """Arguments of ``python -m caec_spark erase`` (also the erase SparkApplication's ``arguments``)."""
    if not requested_by.strip():
        raise ValueError("say who asked for the erasure (REQUESTED_BY / param requested_by): it is recorded")
    args = ["erase", "--output", cfg.staging_uri, "--quarantine-output", cfg.quarantine_uri]
    args += ["--requested-by", requested_by.strip(), "--request-id", request_id]
    for value in keys.user_ids:
        args += ["--user-id", value]
    for value in keys.cookie_ids:
        args += ["--cookie-id", value]
    if keys.ip and keys.user_agent:
        args += ["--ip", keys.ip, "--user-agent", keys.user_agent]
    for fmt in keys.formats:
        args += ["--format", fmt]
    return args


def erase_staging_stage(cfg: PipelineConfig, keys: SubjectKeys, requested_by: str, request_id: str) -> Stage:
    """Local mode, step 1: the erasure in the spark venv."""
    args = erase_args(cfg, keys, requested_by, request_id)
    return spark_stage(cfg, "erase_staging", "erase from staging", args)


def find_entry(ledger_text: str | None, request_id: str) -> dict[str, Any]:
    """The ledger entry of ``request_id`` once staging is erased, with an error that says what to do."""
    for line in (ledger_text or "").splitlines():
        if line.strip():
            entry = json.loads(line)
            if entry.get("request_id") == request_id:
                if entry.get("status") == "requested":
                    raise ErasureError(
                        f"erasure {request_id} was recorded but its staging step did not finish: run it again"
                    )
                return dict(entry)
    raise ErasureError(f"no erasure {request_id} in the ledger {LEDGER}: run the staging step first")


def load_entry(cfg: PipelineConfig, request_id: str) -> dict[str, Any]:
    """Read the request's entry from the ledger next to staging (local path or gs://)."""
    return find_entry(read_text(join_uri(cfg.staging_uri, LEDGER)), request_id)


def marts_window(entry: Mapping[str, Any]) -> DayWindow | None:
    """``[first, last + 1)`` of the days whose staged events/sessions/quarantine the erasure rewrote;
    None when it removed nothing there (the marts need no rebuild, only the delete)."""
    days: Sequence[date] = sorted(
        parse_day(str(r["day"])) for r in entry.get("staging", []) if r.get("dataset") in MART_SOURCES
    )
    return DayWindow(days[0], days[-1] + timedelta(days=1)) if days else None


def dbt_erase_args(
    cfg: PipelineConfig, entry: Mapping[str, Any], *, project_dir: str | None = None
) -> list[str]:
    """``dbt run-operation erase_visitors`` for the entry's hashed ids (the dbt pod's arguments too)."""
    op_args = {"request_id": str(entry["request_id"]), "visitor_ids": list(entry["visitor_ids"])}
    return [
        "run-operation",
        "erase_visitors",
        *dbt_project_args(cfg, project_dir),
        "--args",
        json.dumps(op_args, separators=(",", ":")),
    ]


def dbt_rebuild_args(cfg: PipelineConfig, entry: Mapping[str, Any]) -> list[str] | None:
    """``dbt build`` over :func:`marts_window` (None: nothing to rebuild)."""
    window = marts_window(entry)
    return None if window is None else dbt_build_args(cfg, window)


def erase_marts_stage(cfg: PipelineConfig, entry: Mapping[str, Any]) -> Stage:
    """Local mode, step 2: the delete from the marts, from the dbt venv."""
    return dbt_stage(cfg, "erase_marts", "erase from the marts", dbt_erase_args(cfg, entry))


def rebuild_marts_stage(cfg: PipelineConfig, entry: Mapping[str, Any]) -> Stage | None:
    """Local mode, step 3: rebuild the affected days (None: the erasure rewrote no day of staging)."""
    args = dbt_rebuild_args(cfg, entry)
    return None if args is None else dbt_stage(cfg, "rebuild_marts", "rebuild the affected days", args)
