"""Publishing a run: versioned partition folders, then the pointer, then garbage collection.

The order is what makes a publish atomic for readers (docs/sessionization.md, "Publishing and failure
safety"): (1) move every staged partition into a new ``v=<run_id>`` folder nobody references, (2) write
the run's manifest (invisible until referenced), (3) write the pointer (:mod:`caec_spark.pointer`): this
one file write is the publish, (4) delete what the *previous* generation retired and folders of runs
that died before their pointer write. A kill anywhere before (3) leaves the old pointer, so every
reader still resolves the old versions, which nothing has touched.

Runs publish into one root side by side (Kubernetes runs up to four days at once), so (3) is a
read-merge-write of the pointer under :func:`pointer_lock`: without it, two runs that re-read the same
generation would each write their own next one, and the later write would drop the other's partitions.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pyspark.sql import DataFrame, DataFrameWriter, SparkSession
from pyspark.sql import functions as F

from caec_spark import io
from caec_spark.config import RunConfig, join_uri
from caec_spark.log import progress
from caec_spark.pointer import MANIFESTS, POINTER_NAME, Entry, Pointer, advance, parse

# A staged or unreferenced folder whose newest file is older than this belongs to a run that died
# (a daily run takes minutes; a 50M-event run under an hour): the next run removes it. Younger ones
# may belong to a run still writing (Kubernetes runs days side by side) and are left alone.
STALE_AFTER = dt.timedelta(hours=12)
STATE = "state"
# The lock beside the pointer (:func:`pointer_lock`). Held for a re-read and one small write: seconds.
# Older than LOCK_STALE, its holder died in between and the lock is removed; a run waits up to LOCK_WAIT
# (several LOCK_STALE) for it before failing.
LOCK_NAME = "_current.lock"
LOCK_STALE = dt.timedelta(minutes=5)
LOCK_WAIT = dt.timedelta(minutes=20)
LOCK_POLL_S = 1.0


# Columns whose values are (nearly) unique per row, written without a Parquet dictionary. The writer would
# otherwise hash every value into a per-column dictionary in each open file, only to find at close that
# the dictionary is larger than the plain values and drop it (the files record PLAIN for these columns
# either way): CPU and, with up to 64 files open per write task, memory spent for nothing. 1M events, three
# alternating pairs: the stage step 11-12 s against 13-19 s, peak memory 3.1-3.4 GB against 3.9-5.1 GB.
# Keyed by dataset name (datasets_of); quarantine has none. The job and the erasure's rewrites use it.
PLAIN_COLUMNS = {
    "events": ("event_id", "event_ts", "source_line"),
    "sessions": ("session_id", "session_start", "session_end", "duration_s"),
    STATE: ("visitor_id", "session_id", "last_t", "run_start_t", "session_start_t"),
}


class LayoutError(ValueError):
    """The staging root was written in the layout before versioned partitions (no pointer).

    A ValueError: the CLI reports it as a usage error (exit 2) with this message, not a traceback.
    """


@dataclass(frozen=True)
class Dataset:
    """A versioned dataset: its root folder and hive partition column."""

    root: str
    column: str


def datasets(cfg: RunConfig) -> dict[str, Dataset]:
    """Every versioned dataset of a run's output (the pointer's ``dataset`` names)."""
    return datasets_of(cfg.output_uri, cfg.quarantine_root)


def datasets_of(output_uri: str, quarantine_root: str | None = None) -> dict[str, Dataset]:
    return {
        "events": Dataset(join_uri(output_uri, "events"), "event_date"),
        "sessions": Dataset(join_uri(output_uri, "sessions"), "session_date"),
        "quarantine": Dataset(quarantine_root or join_uri(output_uri, "quarantine"), "ingest_date"),
        STATE: Dataset(join_uri(output_uri, "_state", "visitors"), "as_of"),
    }


def without_dictionary(writer: DataFrameWriter, dataset: str) -> DataFrameWriter:
    """``writer`` with Parquet dictionary encoding off for ``dataset``'s :data:`PLAIN_COLUMNS`
    (parquet-mr's per-column option)."""
    for c in PLAIN_COLUMNS.get(dataset, ()):
        writer = writer.option(f"parquet.enable.dictionary#{c}", "false")
    return writer


def pointer_uri(output_uri: str) -> str:
    return join_uri(output_uri, POINTER_NAME)


def load_pointer(spark: SparkSession, output_uri: str) -> Pointer:
    """The published state of ``output_uri``; the empty pointer for a new root.

    A root that holds partitions in the earlier layout (files directly in ``event_date=D/``) and no
    pointer is refused: readers resolve through the pointer and would see none of that data.
    """
    text = io.read_text(spark, pointer_uri(output_uri))
    if text is not None:
        return parse(text)
    if io.glob_files(spark, join_uri(output_uri, "events", "event_date=*", "*.parquet")):
        raise LayoutError(
            f"{output_uri} holds partitions in the layout before versioned publishing (events/event_date=D/"
            f"*.parquet) and no {POINTER_NAME}; readers would see none of it. Write to a new, empty "
            "staging root and re-run the days you need (make run recreates data/staging), or migrate it "
            "as docs/data-contract.md 'Migrating a staging root' describes."
        )
    return Pointer()


def version_uri(ds: Dataset, key: str, version: str) -> str:
    return io.version_uri(ds.root, ds.column, key, version)


def published_uri(pointer: Pointer, ds_name: str, ds: Dataset, key: str) -> str | None:
    """The folder of the published version of one partition (None: not published)."""
    version = pointer.version(ds_name, key)
    return None if version is None else version_uri(ds, key, version)


def read_published(
    spark: SparkSession, output_uri: str, name: str, quarantine_root: str | None = None
) -> DataFrame | None:
    """Every published partition of one dataset, with its partition column (None if none is published)."""
    pointer = load_pointer(spark, output_uri)
    ds = datasets_of(output_uri, quarantine_root)[name]
    paths = [version_uri(ds, k, pointer.version(name, k) or "") for k in pointer.keys(name)]
    if not paths:
        return None
    df = spark.read.option("basePath", ds.root).parquet(*paths)
    return df.withColumn(ds.column, F.col(ds.column).cast("date")).drop("v")


def remove_stale_tmp(spark: SparkSession, cfg: RunConfig, now: dt.datetime) -> list[str]:
    """Delete ``_tmp/<run_id>`` folders of runs that died (older than :data:`STALE_AFTER`); logged."""
    roots = {join_uri(cfg.output_uri, "_tmp"), join_uri(cfg.quarantine_root, "_tmp")}
    removed = []
    for root in sorted(roots):
        for folder in io.list_folders(spark, join_uri(root, "*")):
            if not folder.rstrip("/").endswith("/" + cfg.run_id) and _remove_if_stale(
                spark, folder, now, "staged by a run that did not finish"
            ):
                removed.append(folder)
    return removed


def move_versions(
    spark: SparkSession, cfg: RunConfig, staged: dict[str, list[str]]
) -> tuple[dict[str, list[str]], list[Entry]]:
    """Move staged partitions (dataset -> staged roots) into new ``v=<run_id>`` folders.

    Returns the published partition values per dataset (for the manifest) and the pointer entries.
    """
    roots = datasets(cfg)
    published: dict[str, list[str]] = {}
    entries: list[Entry] = []
    for name, staged_roots in staged.items():
        ds = roots[name]
        values: set[str] = set()
        for staged_root in staged_roots:
            values |= set(io.move_partitions(spark, staged_root, ds.root, ds.column, cfg.run_id))
        published[name] = sorted(values)
        entries += [Entry(name, v, cfg.run_id) for v in sorted(values)]
    return published, entries


def move_state(spark: SparkSession, cfg: RunConfig, staged: str) -> Entry:
    """Move the staged visitor state to the version folder of ``as_of=<window end>``; its pointer entry."""
    key = cfg.window.end.isoformat()
    io.move_dir(spark, staged, version_uri(datasets(cfg)[STATE], key, cfg.run_id))
    return Entry(STATE, key, cfg.run_id)


class PublishLockTimeout(RuntimeError):
    """Another run held the pointer lock for longer than :data:`LOCK_WAIT`; nothing was published."""


def _lock_holder(text: str | None) -> tuple[str, dt.datetime | None]:
    """(run id, time taken) of a lock file's text; the time None if it cannot be read."""
    try:
        row = json.loads(text or "")
        return str(row["run_id"]), dt.datetime.fromisoformat(row["at"])
    except (ValueError, KeyError, TypeError):
        return "unknown", None


@contextlib.contextmanager
def pointer_lock(
    spark: SparkSession,
    output_uri: str,
    run_id: str,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> Iterator[None]:
    """Hold ``<output_uri>/_current.lock`` (created with :func:`caec_spark.io.create_exclusive`) while
    the pointer is re-read, merged and written, so concurrent publishes into one root take turns.

    Waiting is logged once per holder. A lock older than :data:`LOCK_STALE` (by the time written in it,
    else by the file's time) is removed as a dead run's, after checking it is still the one read (a live
    run's new lock is not). Released only if still this call's own.
    """
    uri = join_uri(output_uri, LOCK_NAME)
    token = uuid.uuid4().hex
    deadline = time.monotonic() + LOCK_WAIT.total_seconds()
    waited_for = None
    while True:
        # the time of this attempt, not of the first: a run that waited must not take a lock that looks stale
        mine = json.dumps({"run_id": run_id, "at": clock().isoformat(), "token": token})
        if io.create_exclusive(spark, uri, mine):
            break
        text = io.read_text(spark, uri)
        if text is None:  # released since
            continue
        holder, taken = _lock_holder(text)
        try:
            held = clock() - taken if taken is not None else io.age(spark, uri, clock())
        except Exception:  # py4j's error for the file's time; fine if the lock went away meanwhile
            if io.read_text(spark, uri) is None:
                continue
            raise
        if held > LOCK_STALE:
            if io.read_text(spark, uri) == text:
                io.delete(spark, uri)
                progress(
                    "publish", f"removed {uri}: left by run {holder}, taken at {taken or 'unknown time'}"
                )
            continue
        if time.monotonic() > deadline:
            raise PublishLockTimeout(
                f"{uri} has been held by run {holder} for longer than {LOCK_WAIT}; nothing was published. "
                f"If that run is gone, delete the lock file and re-run."
            )
        if holder != waited_for:
            waited_for = holder
            progress("publish", f"waiting for run {holder} to finish publishing ({uri})")
        time.sleep(LOCK_POLL_S)
    try:
        yield
    finally:
        if io.read_text(spark, uri) == mine:
            io.delete(spark, uri)
        else:
            progress("publish", f"{uri} was no longer this run's when it ended (held past {LOCK_STALE})")


def write_next_pointer(
    spark: SparkSession,
    cfg: RunConfig,
    entries: list[Entry],
    check: Callable[[Pointer], None] = lambda latest: None,
) -> tuple[Pointer, Pointer]:
    """The pointer's read-merge-write, the one way every publisher (a run, an erasure) writes it: under
    :func:`pointer_lock`, re-read the pointer, ``check`` it (which may raise: then nothing is written),
    write the next generation naming ``entries``. Returns (the pointer replaced, the new one)."""
    with pointer_lock(spark, cfg.output_uri, cfg.run_id):
        latest = load_pointer(spark, cfg.output_uri)
        check(latest)
        new = advance(latest, entries, cfg.run_id)
        io.write_text(spark, pointer_uri(cfg.output_uri), new.to_text())
    return latest, new


def commit(
    spark: SparkSession, cfg: RunConfig, entries: list[Entry], read_at: Pointer, now: dt.datetime
) -> Pointer:
    """Write the next pointer (the publish), then collect garbage. Returns the new pointer.

    The pointer is re-read right before writing, under :func:`pointer_lock`: if another run published
    since this run started (``read_at``), its entries are kept and this run's replace only the
    partitions it wrote.
    """

    def log_if_moved(latest: Pointer) -> None:
        if latest.generation != read_at.generation:
            progress(
                "publish",
                f"{POINTER_NAME} moved from generation {read_at.generation} to {latest.generation} "
                f"(run {latest.writer}) while this run worked: merging into it",
            )

    manifest = Entry(MANIFESTS, cfg.run_id, cfg.run_id)
    latest, new = write_next_pointer(spark, cfg, [*entries, manifest], log_if_moved)
    progress("publish", f"published generation {new.generation}: {pointer_uri(cfg.output_uri)}")
    collect_garbage(spark, cfg, latest, new, now)
    return new


def collect_garbage(
    spark: SparkSession, cfg: RunConfig, previous: Pointer, new: Pointer, now: dt.datetime
) -> list[str]:
    """Delete versions retired one generation ago and stale versions no pointer references; logged.

    ``previous.retired`` stopped being referenced when ``previous`` was written, a whole generation
    ago, so a reader that resolved the pointer before that has had a full run to finish. Versions in
    neither ``new.current`` nor ``new.retired`` were never published (their run died between moving
    and the pointer write) and go once they are older than :data:`STALE_AFTER`.
    """
    roots = datasets(cfg)
    removed = []
    for e in previous.retired:
        if e.dataset in roots and e not in new.current:
            uri = version_uri(roots[e.dataset], e.key, e.version)
            if io.exists(spark, uri):
                io.delete(spark, uri)
                progress("gc", f"removed {uri}: unreferenced since generation {previous.generation}")
                removed.append(uri)
    keep = {(e.dataset, e.key, e.version) for e in (*new.current, *new.retired)}
    for name, ds in roots.items():
        for folder in io.list_folders(spark, join_uri(ds.root, f"{ds.column}=*", "v=*")):
            key, version = _key_version(folder)
            # one glob lists every version; only the unreferenced few are aged
            if (name, key, version) not in keep and _remove_if_stale(spark, folder, now, "never published"):
                removed.append(folder)
    return removed


def _remove_if_stale(spark: SparkSession, folder: str, now: dt.datetime, why: str) -> bool:
    """Delete ``folder`` if its newest file is older than :data:`STALE_AFTER` (a dead run's); logged."""
    age = io.age(spark, folder, now)
    if age < STALE_AFTER:
        return False
    io.delete(spark, folder)
    progress("gc", f"removed {folder}: {why} (newest file {age} old)")
    return True


def _key_version(uri: str) -> tuple[str, str]:
    """(partition value, version) of a ``.../<column>=<value>/v=<version>`` folder URI.

    Taken from the path's last two names rather than compared as URIs: Hadoop returns qualified URIs
    (``file:/abs``) while a root may be configured relative or unqualified.
    """
    *_, part, ver = uri.rstrip("/").split("/")
    return part.split("=", 1)[1], ver.split("=", 1)[1]
