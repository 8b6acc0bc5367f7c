"""All file-system I/O of the job, through Hadoop's FileSystem API so local paths, file:// and gs://
(with the GCS connector on the classpath) behave the same. Nothing else in the package touches storage.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession

from caec_spark.splitter import BATCH_LINES, Block, file_day, split_blocks

_GLOB_CHARS = set("*?[{")


def _jvm_path(spark: SparkSession, uri: str) -> tuple[Any, Any]:
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    path = jvm.org.apache.hadoop.fs.Path(uri)
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    return path.getFileSystem(conf), path


def _hidden(name: str) -> bool:
    """Spark's and Hadoop's convention: names starting with '_' or '.' are metadata (e.g. _truth/, _SUCCESS)."""
    return name.startswith(("_", "."))


def list_input_files(spark: SparkSession, uri: str) -> list[str]:
    """Every data file under a file, directory (recursively) or glob URI, sorted; hidden names skipped."""
    fs, path = _jvm_path(spark, uri)
    statuses = fs.globStatus(path) if any(c in uri for c in _GLOB_CHARS) else None
    if statuses is None:
        if not fs.exists(path):
            raise FileNotFoundError(f"input {uri!r} does not exist")
        statuses = [fs.getFileStatus(path)]
    out: list[str] = []
    for st in statuses:
        if st.isDirectory():
            root = st.getPath().toString().rstrip("/")
            it = fs.listFiles(st.getPath(), True)
            while it.hasNext():
                p = it.next().getPath().toString()
                rel = p[len(root) :].strip("/").split("/")
                if not any(_hidden(part) for part in rel):
                    out.append(p)
        elif not _hidden(st.getPath().getName()):
            out.append(st.getPath().toString())
    return sorted(set(out))


def local_input_bytes(uri: str) -> int | None:
    """Bytes of the data files under a local input (file, directory or glob), skipping hidden names as
    :func:`list_input_files` does; None for remote URIs (gs://). Read before the JVM starts, with plain
    file-system calls: a startup hint (:func:`caec_spark.session.driver_java_options`), never a count."""
    local = _local_path(uri)
    if local is None:
        return None
    roots = [Path(p) for p in glob.glob(str(local))] if any(c in uri for c in _GLOB_CHARS) else [local]
    total = 0
    for root in roots:
        if root.is_file():
            total += root.stat().st_size
        for d, dirs, files in os.walk(root):
            dirs[:] = [x for x in dirs if not _hidden(x)]
            total += sum((Path(d) / f).stat().st_size for f in files if not _hidden(f))
    return total


def select_files(files: Iterable[str], first_day: dt.date, last_day: dt.date) -> list[str]:
    """Files whose dt= day is within [first_day, last_day]; files without a day directory are always read."""
    keep = []
    for f in files:
        day = file_day(f)
        if day is None or first_day.isoformat() <= day <= last_day.isoformat():
            keep.append(f)
    return keep


_RAW_ARROW = pa.schema(
    [
        ("source_file", pa.string()),
        ("file_dt", pa.string()),
        ("source_line", pa.int64()),
        ("raw", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
    ]
)
# The same schema for Spark (mapInArrow's declared output and the empty-file rows): one definition.
RAW_SCHEMA = ", ".join(f"{f.name} {'long' if f.type == pa.int64() else 'string'}" for f in _RAW_ARROW)


def _block_batches(path: str, day: str | None, block: Block) -> Iterator[pa.RecordBatch]:
    """Arrow batches of a clean block, one per chunk (no Python object per line)."""
    first = block.first_line
    for chunk in block.chunks:
        n = len(chunk)
        yield pa.RecordBatch.from_arrays(
            [
                pa.array([path] * n, pa.string()),
                pa.array([day] * n, pa.string()),
                pa.array(np.arange(first, first + n, dtype=np.int64)),
                chunk,
                pa.nulls(n, pa.string()),
                pa.nulls(n, pa.string()),
            ],
            schema=_RAW_ARROW,
        )
        first += n


def _split_batches(fmt: str) -> Any:
    """The mapInArrow function: binaryFile rows (path, content) -> numbered raw lines."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        cols: dict[str, list[Any]] = {name: [] for name in _RAW_ARROW.names}

        def flush() -> pa.RecordBatch:
            batch = pa.RecordBatch.from_pydict(cols, schema=_RAW_ARROW)
            for v in cols.values():
                v.clear()
            return batch

        for batch in batches:
            paths = batch.column("path").to_pylist()
            contents = batch.column("content")
            for i, path in enumerate(paths):
                content = contents[i].as_py() or b""
                day = file_day(path)
                for item in split_blocks(path, content, fmt):
                    if isinstance(item, Block):
                        yield from _block_batches(path, day, item)
                        continue
                    cols["source_file"].append(path)
                    cols["file_dt"].append(day)
                    cols["source_line"].append(item.source_line)
                    cols["raw"].append(item.raw)
                    cols["reason"].append(item.reason)
                    cols["detail"].append(item.detail)
                    if len(cols["raw"]) >= BATCH_LINES:
                        yield flush()
        if cols["raw"]:
            yield flush()

    return run


@contextlib.contextmanager
def balanced_file_tasks(spark: SparkSession, files: list[str], tasks_per_core: int = 4) -> Iterator[None]:
    """While inside, file scans pack ``files`` by size into about ``tasks_per_core`` tasks per core.

    Spark packs whole files (gzip cannot be split) into partitions of up to
    ``spark.sql.files.maxPartitionBytes``; set to the files' total over the wanted task count (and no
    per-file open cost), the day files fill about that many partitions of about equal bytes, read with no
    shuffle. (Hashing paths into 8 partitions had put 7 of 31 day files into one task; one task per file
    measured slower at 1M: 8.3/8.4/7.9 s against 5.1/6.6/7.0 s for the hashed read, while this packing
    took 7.0/3.4/3.8 s against 7.5/5.2/3.5 s.) Spark sizes the partitions when a query runs, so the query
    reading :func:`read_lines` must run inside (the job materialises it there).
    """
    total = sum(file_sizes(spark, files).values())
    tasks = max(1, spark.sparkContext.defaultParallelism * tasks_per_core)
    wanted = {
        "spark.sql.files.maxPartitionBytes": str(total // tasks + 1),
        "spark.sql.files.openCostInBytes": "1",
    }
    before = {k: spark.conf.get(k, None) for k in wanted}
    for k, v in wanted.items():
        spark.conf.set(k, v)
    try:
        yield
    finally:
        for k, old in before.items():
            if old is None:
                spark.conf.unset(k)
            else:
                spark.conf.set(k, old)


def read_lines(spark: SparkSession, files: list[str], fmt: str) -> DataFrame:
    """Numbered raw lines of the given files (read in balanced tasks inside :func:`balanced_file_tasks`).

    Zero-byte files never reach the binaryFile reader (Spark skips them), so they are turned into their
    ``empty_file`` records here: an empty file is counted, never silently skipped.
    """
    sizes = file_sizes(spark, files)
    empty = [f for f in files if sizes[f] == 0]
    non_empty = [f for f in files if sizes[f] > 0]
    # Built only when there are empty files: creating a DataFrame from Python rows costs ~1.5 s of the
    # driver's time (a fixed cost every run paid, empty files or not).
    empty_rows = (
        spark.createDataFrame(
            [(f, file_day(f), 0, None, "empty_file", "file has no bytes") for f in empty], RAW_SCHEMA
        )
        if empty or not non_empty
        else None
    )
    if not non_empty:
        assert empty_rows is not None
        return empty_rows
    binary = spark.read.format("binaryFile").load(non_empty).select("path", "content")
    lines = binary.mapInArrow(_split_batches(fmt), RAW_SCHEMA)
    return lines if empty_rows is None else lines.unionByName(empty_rows)


def file_sizes(spark: SparkSession, files: list[str]) -> dict[str, int]:
    """Byte size of each file (one metadata call per file; inputs are day files, so few)."""
    out = {}
    for f in files:
        fs, path = _jvm_path(spark, f)
        out[f] = int(fs.getFileStatus(path).getLen())
    return out


def exists(spark: SparkSession, uri: str) -> bool:
    fs, path = _jvm_path(spark, uri)
    return bool(fs.exists(path))


def delete(spark: SparkSession, uri: str) -> None:
    fs, path = _jvm_path(spark, uri)
    if fs.exists(path):
        fs.delete(path, True)


def list_partitions(spark: SparkSession, uri: str, column: str) -> list[str]:
    """Values of hive partitions ``column=value`` directly under ``uri`` (empty if it does not exist)."""
    fs, path = _jvm_path(spark, uri)
    if not fs.exists(path):
        return []
    prefix = f"{column}="
    return sorted(
        st.getPath().getName()[len(prefix) :]
        for st in fs.listStatus(path)
        if st.isDirectory() and st.getPath().getName().startswith(prefix)
    )


def version_uri(root: str, column: str, value: str, version: str) -> str:
    """Where one version of one partition lives: ``<root>/<column>=<value>/v=<version>``."""
    return f"{root.rstrip('/')}/{column}={value}/v={version}"


def move_partitions(
    spark: SparkSession, staged_root: str, final_root: str, column: str, version: str
) -> list[str]:
    """Move each staged partition to a new version folder of its final partition (nothing replaced).

    The destinations are new folders no pointer references yet, so a move that is not atomic (GCS
    renames object by object) or is cut short is invisible to readers; publishing is the pointer write.
    """
    values = list_partitions(spark, staged_root, column)
    fs, _ = _jvm_path(spark, final_root)
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    for v in values:
        src = jvm.org.apache.hadoop.fs.Path(f"{staged_root.rstrip('/')}/{column}={v}")
        dst = jvm.org.apache.hadoop.fs.Path(version_uri(final_root, column, v, version))
        if fs.exists(dst):
            raise FileExistsError(f"{dst} exists: run ids must be unique within a staging root")
        fs.mkdirs(dst.getParent())
        if not fs.rename(src, dst):
            raise OSError(f"could not move {src} -> {dst}")
    return values


def move_dir(spark: SparkSession, staged: str, final: str) -> None:
    """Move a fully written staged directory to a new, unreferenced final place (never replacing one)."""
    fs, dst = _jvm_path(spark, final)
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    if fs.exists(dst):
        raise FileExistsError(f"{final} exists: run ids must be unique within a staging root")
    fs.mkdirs(dst.getParent())
    if not fs.rename(jvm.org.apache.hadoop.fs.Path(staged), dst):
        raise OSError(f"could not move {staged} -> {final}")


def _local_path(uri: str) -> Path | None:
    """The local path of a plain path or file:// URI; None for remote stores (gs://)."""
    for scheme in ("file://", "file:"):
        if uri.startswith(scheme):
            return Path(uri[len(scheme) :])
    return None if "://" in uri else Path(uri)


def read_text(spark: SparkSession, uri: str) -> str | None:
    """The text of a small file, or None if it does not exist."""
    fs, path = _jvm_path(spark, uri)
    if not fs.exists(path):
        return None
    jvm = spark.sparkContext._jvm
    assert jvm is not None
    stream = fs.open(path)
    try:
        return str(jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8"))
    finally:
        stream.close()


def _umask() -> int:
    """The process umask (reading it means setting it: set it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _via_temp(local: Path, text: str, place: Callable[[Path, Path], None]) -> None:
    """Write ``text`` to a new temporary file in ``local``'s folder, fsync it, then ``place(tmp, local)``
    (rename or link it there); the temporary name never outlives the call. mkstemp makes files 0600; the
    pointer, manifests, ledger and lock are read by other users (dbt's and Airflow's containers,
    stewards), so the file gets the mode a plain create would have."""
    local.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{local.name}.", dir=local.parent)
    tmp = Path(name)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        place(tmp, local)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(spark: SparkSession, uri: str, text: str) -> None:
    """Replace a small file atomically: readers see the old or the new content, never a partial one.

    Locally: write a temporary file beside it, fsync, ``os.replace`` (rename(2) replaces atomically;
    Hadoop's local rename refuses an existing target, and delete-then-rename has a gap with no file).
    Elsewhere (gs://): one object written in one upload; GCS makes an overwrite visible atomically
    when the upload completes (strongly consistent read-after-write), and a cut upload leaves the old
    object.
    """
    local = _local_path(uri)
    if local is not None:
        _via_temp(local, text, os.replace)
        return
    fs, path = _jvm_path(spark, uri)
    out = fs.create(path, True)
    try:
        out.write(bytearray(text.encode("utf-8")))
    finally:
        out.close()


def create_exclusive(spark: SparkSession, uri: str, text: str) -> bool:
    """Create a small file holding ``text`` only if no file is at ``uri``: True if this call created it,
    False if one was there (or another caller created it first). Atomic, so callers can use it as a lock.

    The file appears with its whole text or not at all. Locally: the text is written to a temporary file
    that is then hard-linked to ``uri`` (``link(2)`` fails if the name exists: the kernel decides; Hadoop's
    local create checks and then creates). Elsewhere: Hadoop's create without overwrite; the GCS connector
    sends that upload with a generation-0 precondition, so of two writers racing for a missing object
    exactly one succeeds, and an object is visible only once its upload completed.
    """
    local = _local_path(uri)
    if local is not None:
        try:
            _via_temp(local, text, os.link)
        except FileExistsError:
            return False
        return True
    return _create_exclusive_hadoop(spark, uri, text)


def _create_exclusive_hadoop(spark: SparkSession, uri: str, text: str) -> bool:
    """:func:`create_exclusive` through Hadoop's FileSystem API. A lost race may surface at create (the
    object exists) or only when the upload ends (its precondition failed): either way the file then holds
    the winner's text, which is how this call tells a lost race from an I/O error."""
    fs, path = _jvm_path(spark, uri)
    if fs.exists(path):
        return False
    try:
        out = fs.create(path, False)
        try:
            out.write(bytearray(text.encode("utf-8")))
        finally:
            out.close()
    except Exception:  # py4j wraps the JVM's exception; what is at ``uri`` now decides
        current = read_text(spark, uri)
        if current is None:
            raise
        return current == text
    return True


def read_json(spark: SparkSession, uri: str) -> dict[str, Any]:
    """Read a small JSON file (used by tests and tools to read manifests by URI)."""
    text = read_text(spark, uri)
    if text is None:
        raise FileNotFoundError(uri)
    return dict(json.loads(text))


def list_folders(spark: SparkSession, glob: str) -> list[str]:
    """Folders matching a glob URI."""
    fs, path = _jvm_path(spark, glob)
    return sorted(st.getPath().toString() for st in (fs.globStatus(path) or []) if st.isDirectory())


def age(spark: SparkSession, uri: str, now: dt.datetime) -> dt.timedelta:
    """How long ago (at ``now``, UTC) the newest file under ``uri`` was written (the folder's own time
    if it holds none). Files, not the folder: an object store's folders have no reliable time of their own.
    """
    fs, path = _jvm_path(spark, uri)
    newest = 0
    it = fs.listFiles(path, True)
    while it.hasNext():
        newest = max(newest, int(it.next().getModificationTime()))
    newest = newest or int(fs.getFileStatus(path).getModificationTime())
    return dt.timedelta(milliseconds=int(now.timestamp() * 1000) - newest)


def glob_files(spark: SparkSession, glob: str) -> list[str]:
    """Files (not folders) matching a glob URI."""
    fs, path = _jvm_path(spark, glob)
    return sorted(st.getPath().toString() for st in (fs.globStatus(path) or []) if st.isFile())
