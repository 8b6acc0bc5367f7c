"""A local run's outputs are replaced only once the new ones are complete (``caec_pipeline run``).

Two kinds of output, two mechanisms:

- The warehouse (DuckDB file) and the dashboard HTML are what people open while a run is going on.
  They are built into ``.next/`` beside their final path and swapped in with one rename each when the
  run succeeded (same file name, so DuckDB's catalog name and the views dbt wrote stay valid).
- Staging, quarantine and generated raw data are written by the Spark job and generator at their
  configured paths, and the warehouse's staging views read them there, so they cannot be built
  elsewhere. The previous ones are moved aside to ``<data>/.previous/`` at the start and moved back if
  the run fails or is interrupted; the failed run's own files go to its log folder for inspection.

A run killed with SIGKILL cannot clean up: the next run finds ``.previous/`` and restores it first.
Only paths inside the data dir are ever moved or deleted.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from caec_pipeline.config import PipelineConfig, is_remote_uri, local_path

PREVIOUS_DIR = ".previous"
NEXT_DIR = ".next"


@dataclass(frozen=True)
class OutputPlan:
    """Where this run's outputs go and what it replaces (pure data; see :func:`plan_outputs`)."""

    data_dir: Path
    # Written in place by the stages; the previous ones wait in <data>/.previous/ (paths relative to data).
    in_place: tuple[Path, ...]
    # (final path, path the run builds it at)
    built: tuple[tuple[Path, Path], ...]
    keep_existing: bool

    @property
    def previous_dir(self) -> Path:
        return self.data_dir / PREVIOUS_DIR

    def next_path(self, final: Path) -> Path:
        return dict(self.built)[final]


def next_path(final: Path) -> Path:
    """Build location of a swapped output: ``<dir>/.next/<name>`` (same file system, same name)."""
    return final.parent / NEXT_DIR / final.name


def _inside(path: Path, data_dir: Path) -> bool:
    return path != data_dir and data_dir in path.parents


def plan_outputs(cfg: PipelineConfig, *, generating: bool, keep_existing: bool) -> OutputPlan:
    """What a run replaces: staging, quarantine (and raw when generating) in place; warehouse and dashboard built aside.

    With ``keep_existing`` nothing is moved aside (the stages add to the existing data) and the
    warehouse is copied to its build path first, so its incremental models keep their history.
    """
    data_dir = cfg.data_dir.resolve()
    uris = [cfg.staging_uri, cfg.quarantine_uri] + ([cfg.raw_uri] if generating else [])
    paths = [local_path(u).resolve() for u in uris if not is_remote_uri(u)]
    paths = [p for p in paths if _inside(p, data_dir)]
    # quarantine lives under staging by default: moving staging moves it
    in_place = [p for p in dict.fromkeys(paths) if not any(q in p.parents for q in paths)]
    finals = [cfg.duckdb_path.resolve(), cfg.dashboard_path.resolve()]
    return OutputPlan(
        data_dir=data_dir,
        in_place=() if keep_existing else tuple(p.relative_to(data_dir) for p in in_place),
        built=tuple((f, next_path(f)) for f in finals if _inside(f, data_dir)),
        keep_existing=keep_existing,
    )


def build_config(cfg: PipelineConfig, plan: OutputPlan) -> PipelineConfig:
    """The configuration the stages run with: the warehouse at its build path."""
    final = cfg.duckdb_path.resolve()
    return dataclasses.replace(cfg, duckdb_path=plan.next_path(final)) if final in dict(plan.built) else cfg


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _drop_if_empty(directory: Path) -> None:
    if directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _moved_list(plan: OutputPlan) -> Path:
    return plan.previous_dir / "moved.txt"


def recover(plan: OutputPlan) -> bool:
    """Put back what a run left in ``.previous/`` (its own partial outputs are dropped). True if any.

    ``moved.txt`` lists each path once it has been moved aside, so a run killed half-way through
    :func:`set_aside` is recovered too.
    """
    if not plan.previous_dir.is_dir():
        return False
    listed = _moved_list(plan)
    for rel in listed.read_text(encoding="utf-8").splitlines() if listed.exists() else []:
        saved, target = plan.previous_dir / rel, plan.data_dir / rel
        if saved.exists():
            _remove(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            saved.rename(target)
    shutil.rmtree(plan.previous_dir)
    return True


def set_aside(plan: OutputPlan) -> list[Path]:
    """Move the previous in-place outputs to ``.previous/`` and clear stale build paths; returns what moved."""
    moved = []
    for rel in plan.in_place:
        source = plan.data_dir / rel
        if not source.exists():
            continue
        target = plan.previous_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        source.rename(target)
        with _moved_list(plan).open("a", encoding="utf-8") as listed:
            listed.write(f"{rel}\n")
        moved.append(rel)
    for final, build in plan.built:
        _remove(build)
        _remove(_wal(build))
        build.parent.mkdir(parents=True, exist_ok=True)
        if plan.keep_existing and final.is_file():
            shutil.copy2(final, build)
    return moved


def roll_back(plan: OutputPlan, keep_failed_in: Path | None) -> None:
    """The run failed: its in-place outputs go to ``keep_failed_in`` (or are deleted), the previous come back."""
    for rel in plan.in_place:
        current = plan.data_dir / rel
        if current.exists() and keep_failed_in is not None:
            destination = keep_failed_in / rel
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(current), str(destination))
    recover(plan)
    for _, build in plan.built:
        _remove(build)
        _remove(_wal(build))
        _drop_if_empty(build.parent)


def commit(plan: OutputPlan) -> None:
    """The run succeeded: swap the built outputs in (one rename each) and drop the previous ones."""
    for final, build in plan.built:
        if build.exists():
            final.parent.mkdir(parents=True, exist_ok=True)
            _remove(_wal(final))  # a stale log would be replayed into the new file
            os.replace(build, final)
            if _wal(build).exists():
                os.replace(_wal(build), _wal(final))
        _drop_if_empty(build.parent)
    if plan.previous_dir.exists():
        shutil.rmtree(plan.previous_dir)
