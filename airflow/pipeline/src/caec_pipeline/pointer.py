"""The Spark job's publish pointer, read from the orchestration side (docs/data-contract.md).

The job publishes a run by replacing one file, ``<staging>/_current.jsonl`` (NDJSON rows
``{"dataset", "key", "version", "status"}``); what it does not name is not published, even if its files
exist (a run killed while publishing). The Spark package parses the same format in its own venv
(``caec_spark.pointer``): the documented format is the contract, not shared code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from caec_pipeline.config import join_uri
from caec_pipeline.storage import StorageError, read_text

POINTER_NAME = "_current.jsonl"


class PointerError(RuntimeError):
    """The pointer (or a file it names) is missing or unreadable."""


@dataclass(frozen=True)
class PublishedState:
    """One generation of the pointer: the current (dataset, key) -> version rows."""

    generation: int
    current: dict[tuple[str, str], str]

    def keys(self, dataset: str) -> list[str]:
        return sorted(k for d, k in self.current if d == dataset)


def parse_pointer(text: str) -> PublishedState:
    """Parse a pointer file's text; retired rows are skipped (they are for garbage collection)."""
    generation = 0
    current: dict[tuple[str, str], str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            dataset, key, version, status = (str(row[k]) for k in ("dataset", "key", "version", "status"))
        except (ValueError, KeyError, TypeError) as exc:
            raise PointerError(f"{POINTER_NAME} line {n} is not a pointer row: {line[:200]!r}") from exc
        if dataset == "_pointer":
            generation = int(key)
        elif status == "current":
            current[(dataset, key)] = version
    return PublishedState(generation, current)


def load_published(staging_uri: str) -> PublishedState | None:
    """The published state of a staging root; None when nothing was ever published there."""
    try:
        text = read_text(join_uri(staging_uri, POINTER_NAME))
    except StorageError as exc:
        raise PointerError(str(exc)) from exc
    return None if text is None else parse_pointer(text)
