"""Small text files at a URI: the one place caec_pipeline reads and writes outside local disk.

Local paths and ``file://`` URIs use the filesystem (writes are atomic: a reader never sees half a
file). Object-store URIs (``gs://`` on GKE) go through fsspec (gcsfs for ``gs://``), which the Airflow
image has; the package itself stays stdlib-only, so ``make run`` never needs it.
"""

from __future__ import annotations

from typing import Any

from caec_pipeline.config import is_remote_uri, local_path


class StorageError(RuntimeError):
    """A remote URI cannot be reached from this environment (no fsspec, or no filesystem for its scheme)."""


def _filesystem(uri: str) -> Any:
    try:
        import fsspec
    except ImportError as exc:
        raise StorageError(
            f"{uri} is remote: reading and writing it needs fsspec (with gcsfs for gs://), which the Airflow "
            "image has; install them, or point the CAEC_*_URI settings at local paths"
        ) from exc
    scheme = uri.split("://", 1)[0]
    try:
        return fsspec.filesystem(scheme)
    except (ImportError, ValueError) as exc:
        raise StorageError(f"cannot open {uri}: no filesystem for {scheme}:// ({exc})") from exc


def read_text(uri: str) -> str | None:
    """A small file's text, or None when it does not exist.

    One read of one object (generation): a concurrent replacement is seen whole or not at all.
    """
    if not is_remote_uri(uri):
        path = local_path(uri)
        return path.read_text(encoding="utf-8") if path.is_file() else None
    fs = _filesystem(uri)
    try:
        return str(fs.cat_file(uri).decode("utf-8"))
    except FileNotFoundError:
        return None


def write_text(uri: str, text: str) -> None:
    """Replace a small file with ``text`` (creating its folder locally)."""
    if not is_remote_uri(uri):
        path = local_path(uri)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)  # atomic: a reader never sees half a file
        return
    # One object upload; object stores replace an object whole.
    _filesystem(uri).pipe_file(uri, text.encode("utf-8"))
