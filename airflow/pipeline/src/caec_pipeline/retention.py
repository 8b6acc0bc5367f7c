"""Retention by policy on the local filesystem: which day partitions are past their layer's days.

The policy is one number of days per layer (raw, staging, quarantine, marts, audit; 0 or absent =
keep), stated once in Terraform (``modules/platform`` ``retention_days``). On GCP the platform applies
it itself: GCS lifecycle rules delete raw/staging/quarantine objects by age and BigQuery drops
staging/marts/audit partitions by age. Locally nothing does, so ``make run`` calls
:func:`apply_local_retention`, which takes the same days from ``CAEC_RETENTION_DAYS`` (a JSON object,
e.g. ``{"raw": 30, "staging": 30, "quarantine": 30}``; unset = keep everything, the laptop default).

Local partitions are the hive-style day folders of docs/data-contract.md: ``<raw>/dt=D``,
``<staging>/events/event_date=D``, ``<staging>/sessions/session_date=D``,
``<quarantine>/ingest_date=D``. A day D is past retention N once ``today - D >= N`` days (it was kept
for N days, D included), as a BigQuery partition of D expires N days after D starts. marts and audit
have no local partitions: the DuckDB marts are rebuilt from staging, and there is no local audit log.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from caec_pipeline.config import PipelineConfig

RETENTION_ENV = "CAEC_RETENTION_DAYS"
LAYERS = ("raw", "staging", "quarantine", "marts", "audit")
_DAY_FOLDER = re.compile(r"^(?:dt|event_date|session_date|ingest_date)=(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True, order=True)
class Partition:
    """One local day folder of a layer."""

    layer: str
    day: date
    path: Path


def parse_retention_days(raw: str) -> dict[str, int]:
    """``CAEC_RETENTION_DAYS`` -> days per layer; empty = keep everything. Errors name the fix."""
    if not raw.strip():
        return {}
    fix = f'set {RETENTION_ENV} to a JSON object of whole days >= 0, e.g. {{"raw": 30, "quarantine": 30}}'
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{RETENTION_ENV} is not JSON ({exc.msg}): {fix}") from exc
    if not isinstance(value, dict):
        raise ValueError(f"{RETENTION_ENV} must be a JSON object: {fix}")
    unknown = sorted(set(value) - set(LAYERS))
    if unknown:
        raise ValueError(f"{RETENTION_ENV} has unknown layers {unknown} (layers: {', '.join(LAYERS)})")
    bad = sorted(k for k, v in value.items() if isinstance(v, bool) or not isinstance(v, int) or v < 0)
    if bad:
        raise ValueError(f"{RETENTION_ENV}: {', '.join(bad)} must be whole days >= 0: {fix}")
    return {str(k): int(v) for k, v in value.items()}


def day_folders(layer: str, root: Path) -> list[Partition]:
    """The day partitions directly under ``root`` (none when it does not exist)."""
    if not root.is_dir():
        return []
    found = []
    for child in root.iterdir():
        match = _DAY_FOLDER.match(child.name)
        if match and child.is_dir():
            found.append(Partition(layer, date.fromisoformat(match.group(1)), child))
    return found


def past_retention(partitions: Iterable[Partition], days: Mapping[str, int], today: date) -> list[Partition]:
    """The partitions whose layer keeps N > 0 days and whose day is at least N days before ``today``."""
    return sorted(p for p in partitions if days.get(p.layer, 0) > 0 and (today - p.day).days >= days[p.layer])


def local_roots(cfg: PipelineConfig) -> dict[str, list[Path]]:
    """Folders holding each layer's local day partitions; remote URIs are left to the cloud's rules."""
    from caec_pipeline.config import is_remote_uri, join_uri, local_path

    uris = {
        "raw": [cfg.raw_uri],
        "staging": [join_uri(cfg.staging_uri, "events"), join_uri(cfg.staging_uri, "sessions")],
        "quarantine": [cfg.quarantine_uri],
    }
    return {layer: [local_path(u) for u in group if not is_remote_uri(u)] for layer, group in uris.items()}


def apply_local_retention(
    cfg: PipelineConfig, env: Mapping[str, str] | None = None, today: date | None = None
) -> list[str]:
    """Delete the local partitions past retention; one line per layer that lost some (for the run log)."""
    days = parse_retention_days((os.environ if env is None else env).get(RETENTION_ENV, ""))
    if not days:
        return []
    today = today or datetime.now(UTC).date()
    candidates = [
        p for layer, roots in local_roots(cfg).items() for root in roots for p in day_folders(layer, root)
    ]
    expired = past_retention(candidates, days, today)
    for partition in expired:
        shutil.rmtree(partition.path)
    lines = []
    for layer in LAYERS:
        gone = [p for p in expired if p.layer == layer]
        if gone:
            lines.append(
                f"  retention: removed {len(gone)} {layer} partition(s) older than {days[layer]} days "
                f"({min(p.day for p in gone)} .. {max(p.day for p in gone)}; {RETENTION_ENV})"
            )
    return lines
