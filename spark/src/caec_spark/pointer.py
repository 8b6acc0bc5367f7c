"""The publish pointer: which version of each staged partition is the published one.

Every run writes its partitions into new version folders (``<dataset>/<column>=<value>/v=<run_id>/``)
and never deletes or overwrites a published one in place. What readers see is decided by one small
file per staging root, :data:`POINTER_NAME`, written last: publishing is writing that file (one
object overwrite on GCS, write-then-rename locally), so a reader sees the old or the new state of a
window, never a mix. The format is the contract between the Spark job, dbt and the Airflow gate
(docs/data-contract.md, "The publish pointer"); these functions are pure so it is tested without
storage.

One JSON object per line (BigQuery reads the file as a NEWLINE_DELIMITED_JSON external table):
``{"dataset": ..., "key": ..., "version": ..., "status": "current" | "retired"}``.
- ``dataset`` ``events`` / ``sessions`` / ``quarantine`` / ``state``: ``key`` is the partition value
  (a date), ``version`` the run id whose folder ``v=<version>`` holds it.
- ``dataset`` ``manifests``: ``key`` is the run id of a published manifest (``version`` repeats it).
- ``dataset`` ``_pointer`` (one row): ``key`` is the generation (1, 2, ...), ``version`` the run that
  wrote it.
- ``status`` ``retired``: versions this generation replaced; they are deleted by the next publish,
  so a reader that resolved the previous pointer can still finish (one generation of grace).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

POINTER_NAME = "_current.jsonl"
POINTER_ROW = "_pointer"
MANIFESTS = "manifests"
CURRENT, RETIRED = "current", "retired"


@dataclass(frozen=True, order=True)
class Entry:
    """One published (or retired) version of one partition of one dataset."""

    dataset: str
    key: str
    version: str

    def to_line(self, status: str) -> str:
        row = {"dataset": self.dataset, "key": self.key, "version": self.version, "status": status}
        return json.dumps(row, sort_keys=True)


@dataclass(frozen=True)
class Pointer:
    """A parsed pointer: its generation, the current entries and the versions it retired."""

    generation: int = 0
    writer: str = ""
    current: tuple[Entry, ...] = ()
    retired: tuple[Entry, ...] = ()

    def version(self, dataset: str, key: str) -> str | None:
        """The published version of ``dataset``'s partition ``key`` (None: not published)."""
        for e in self.current:
            if e.dataset == dataset and e.key == key:
                return e.version
        return None

    def keys(self, dataset: str) -> list[str]:
        return sorted(e.key for e in self.current if e.dataset == dataset)

    def to_text(self) -> str:
        header = Entry(POINTER_ROW, str(self.generation), self.writer).to_line(CURRENT)
        lines = [header]
        lines += [e.to_line(CURRENT) for e in sorted(self.current)]
        lines += [e.to_line(RETIRED) for e in sorted(self.retired)]
        return "\n".join(lines) + "\n"


class PointerError(ValueError):
    """The pointer file is not in the documented format."""


def parse(text: str) -> Pointer:
    """Parse a pointer file's text (an empty text is the empty pointer of a fresh staging root)."""
    generation, writer = 0, ""
    current: list[Entry] = []
    retired: list[Entry] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            entry = Entry(str(row["dataset"]), str(row["key"]), str(row["version"]))
            status = row["status"]
        except (ValueError, KeyError, TypeError) as exc:
            raise PointerError(f"{POINTER_NAME} line {n} is not a pointer row: {line[:200]!r}") from exc
        if entry.dataset == POINTER_ROW:
            generation, writer = int(entry.key), entry.version
        elif status == CURRENT:
            current.append(entry)
        elif status == RETIRED:
            retired.append(entry)
        else:
            raise PointerError(f"{POINTER_NAME} line {n}: unknown status {status!r}")
    return Pointer(generation, writer, tuple(sorted(current)), tuple(sorted(retired)))


def advance(old: Pointer, published: Iterable[Entry], writer: str) -> Pointer:
    """The next generation: ``published`` replaces the same (dataset, key) entries of ``old``.

    The versions it replaces become this generation's ``retired`` rows; ``old``'s retired rows are
    dropped (the caller deletes their folders after writing the new pointer).
    """
    new = {(e.dataset, e.key): e for e in old.current}
    for e in published:
        new[(e.dataset, e.key)] = e
    current = tuple(sorted(new.values()))
    retired = tuple(sorted(set(old.current) - set(current)))
    return Pointer(old.generation + 1, writer, current, retired)
