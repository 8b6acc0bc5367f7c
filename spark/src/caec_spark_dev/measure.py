"""Wall time, CPU time and peak memory of a command's whole process tree, without disturbing it.

- **CPU seconds** are exact, not sampled: this process becomes a child subreaper (Linux
  ``PR_SET_CHILD_SUBREAPER``), so descendants orphaned by their parent (a JVM outliving the Python driver
  that started it, PySpark's worker daemon) are re-parented here instead of to init. After the command
  exits, every remaining descendant is waited for, and the difference of ``getrusage(RUSAGE_CHILDREN)``
  before and after is the user + system time of the whole tree.
- **Peak memory** comes from a sampler thread that every ``interval`` seconds finds the tree through
  ``/proc/<pid>/task/<tid>/children`` (for a process with many threads, a JVM, at most every 2 s) and
  reads ``VmRSS`` and ``VmHWM`` from ``/proc/<pid>/status`` (kernel counters: no page-table walk, unlike
  ``smaps``). A child that shares its parent's address space (a JVM's posix_spawn child before exec,
  which shows the whole JVM as its RSS; the JVM starts one for each ``chmod`` of Hadoop's local file
  system) counts 0. A child forked from its parent's program (a
  PySpark worker forked from its daemon) counts its private pages only, from ``smaps_rollup``, read for
  those processes alone and at most every 5 s each (in between: its RSS less the shared pages of the last
  read). The sampler reports the largest such sum over the tree seen at a tick and the largest
  single-process ``VmHWM`` (exact for that process, also between ticks; ``ru_maxrss`` of the processes
  waited for covers runs shorter than a tick); ``peak_mb`` is the larger of the two. Pages shared otherwise (libraries mapped by several programs) still count once per process.
- The sampler's own cost is measured (its thread's CPU time) and reported as a share of one core.

Wall seconds run from the start of the command to its exit (descendants still shutting down after that
are waited for before returning, so the next measurement starts on a quiet tree).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
# Fields equal in two processes that share one address space (a vfork/posix_spawn child before exec) or
# that have not diverged since a fork.
MM_SHAPE = ("VmPeak", "VmSize", "VmData")
DRAIN_TIMEOUT_S = 120.0  # descendants still alive this long after the command exits are killed


@dataclass(frozen=True)
class Measured:
    returncode: int
    wall_s: float
    cpu_s: float  # user + system of the whole tree (children's rusage)
    tree_rss_peak_mb: float  # largest sum of VmRSS over the tree at one tick
    max_hwm_mb: float  # largest VmHWM (or ru_maxrss once waited for) of one process of the tree
    samples: int
    sampler_cpu_s: float  # CPU time of the sampler thread itself
    peak_processes: tuple[tuple[str, int], ...] = ()  # (name, VmRSS MB) of each process at the peak tick

    @property
    def peak_mb(self) -> float:
        return max(self.tree_rss_peak_mb, self.max_hwm_mb)

    @property
    def sampler_share(self) -> float:
        """The sampler's CPU time as a share of one core over the wall time (0.01 = 1%)."""
        return self.sampler_cpu_s / self.wall_s if self.wall_s > 0 else 0.0


def _kb_fields(text: str, keys: tuple[str, ...]) -> dict[str, int]:
    """The ``Key:  123 kB`` lines of a /proc status or smaps_rollup text whose key is in ``keys``."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in keys:
            number, _, unit = value.strip().partition(" ")
            if unit != "kB":
                raise ValueError(f"unexpected unit in /proc line {line!r}")
            out[key] = int(number)
    return out


def parse_status(text: str) -> dict[str, int]:
    """``VmRSS``, ``VmHWM`` and the address-space sizes ``VmPeak``, ``VmSize``, ``VmData`` of a
    ``/proc/<pid>/status`` text, in kB (absent for kernel threads and zombies, which have no memory)."""
    return _kb_fields(text, ("VmRSS", "VmHWM", *MM_SHAPE))


def parse_private(smaps_rollup: str) -> int:
    """Pages of a ``/proc/<pid>/smaps_rollup`` text mapped by that process alone, in kB."""
    return sum(_kb_fields(smaps_rollup, ("Private_Clean", "Private_Dirty", "Private_Hugetlb")).values())


MANY_THREADS = 16
"""A process with more threads than this (a JVM has ~150) has its children listed anew at most every
``refresh`` seconds by a sampler (:func:`family` with a cache): reading each thread's ``children`` entry
was three quarters of a tick's CPU on a Spark run (2.7 of 3.5 ms)."""


def _children_and_threads(pid: int, proc: Path) -> tuple[list[int], int]:
    kids: list[int] = []
    try:
        tasks = list((proc / str(pid) / "task").iterdir())
    except OSError:
        return kids, 0
    for task in tasks:
        try:
            kids.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return kids, len(tasks)


def children(pid: int, proc: Path = Path("/proc")) -> list[int]:
    """Direct children of ``pid`` (forked by any of its threads); [] once it is gone."""
    return _children_and_threads(pid, proc)[0]


ChildCache = dict[int, tuple[float, list[int]]]
"""pid -> (when its children were listed, the children) of the processes with many threads."""


def family(
    root: int, proc: Path = Path("/proc"), cache: ChildCache | None = None, refresh: float = 2.0
) -> dict[int, int | None]:
    """``root`` and its live descendants, each with its parent (``None`` for ``root``).

    With ``cache``: the children of a process with more than :data:`MANY_THREADS` threads are those
    listed at most ``refresh`` seconds ago (a child it started since is found by the next listing; one
    that ended since is skipped by the reads that follow). Few-threaded processes are listed every time.
    """
    seen: dict[int, int | None] = {}
    todo: list[tuple[int, int | None]] = [(root, None)]
    now = time.monotonic()
    while todo:
        pid, parent = todo.pop()
        if pid in seen:
            continue
        seen[pid] = parent
        last = cache.get(pid) if cache is not None else None
        if last is not None and now - last[0] < refresh:
            kids = last[1]
        else:
            kids, threads = _children_and_threads(pid, proc)
            if cache is not None and threads > MANY_THREADS:
                cache[pid] = (now, kids)
        todo.extend((c, pid) for c in kids)
    return seen


def tree(root: int, proc: Path = Path("/proc")) -> list[int]:
    """``root`` and all its descendants that are alive now."""
    return list(family(root, proc))


def _exe(pid: int, proc: Path) -> str | None:
    try:
        return os.readlink(proc / str(pid) / "exe")
    except OSError:
        return None


def read_processes(
    members: Mapping[int, int | None],
    proc: Path = Path("/proc"),
    shared: dict[int, tuple[float, int]] | None = None,
    refresh: float = 5.0,
) -> list[tuple[str, int, int]]:
    """(name, resident kB, VmHWM kB) of each live process of ``members`` (pid -> parent or None, parents
    first, as :func:`family` gives them).

    Resident is ``VmRSS``, except for a child of a process of the tree that
    - has its parent's address space sizes (``MM_SHAPE``): it shares the parent's memory (a JVM's
      posix_spawn child before exec reports the whole JVM as its RSS) or is an unchanged copy of it: 0;
    - runs its parent's program (same ``exe``: a PySpark worker forked from its daemon): its pages shared
      with the parent are in the parent's RSS, so only its private pages count, from ``smaps_rollup``
      (1-2 ms per read). With a ``shared`` cache (pid -> (time, shared kB)) that is read at most every
      ``refresh`` seconds per process, and in between its ``VmRSS`` less the shared kB of the last read.
    """
    rows: list[tuple[str, int, int]] = []
    shapes: dict[int, tuple[int, ...]] = {}
    now = time.monotonic()
    for pid, parent in members.items():
        try:
            text = (proc / str(pid) / "status").read_text()
            status = parse_status(text)
        except (OSError, ValueError):
            continue
        name = text.partition("\n")[0].partition(":")[2].strip()
        rss = resident = status.get("VmRSS", 0)
        shapes[pid] = shape = tuple(status.get(k, 0) for k in MM_SHAPE)
        if parent is not None and rss:
            if shapes.get(parent) == shape:
                resident, name = 0, f"{name} (parent's memory)"
            elif (exe := _exe(pid, proc)) is not None and exe == _exe(parent, proc):
                name += " (forked)"
                last = shared.get(pid) if shared is not None else None
                if last is not None and now - last[0] < refresh:
                    resident = max(rss - last[1], 0)
                else:
                    with contextlib.suppress(OSError, ValueError):
                        resident = parse_private((proc / str(pid) / "smaps_rollup").read_text())
                        if shared is not None:
                            shared[pid] = (now, rss - resident)
        rows.append((name, resident, status.get("VmHWM", 0)))
    return rows


def read_memory(root: int, proc: Path = Path("/proc")) -> tuple[int, int]:
    """(resident kB summed over ``root``'s tree as :func:`read_processes` counts it, largest VmHWM kB);
    (0, 0) once the tree is gone."""
    rows = read_processes(family(root, proc), proc)
    return sum(r[1] for r in rows), max((r[2] for r in rows), default=0)


class TreeSampler:
    """Samples the memory of ``root``'s process tree every ``interval`` seconds in a thread.

    Descendants orphaned into this (subreaper) process are children of this process, not of ``root``: the
    sampler follows every child of this process except ``root`` and those in ``others`` (children that
    existed before the command started).
    """

    def __init__(
        self,
        root: int,
        interval: float = 0.5,
        others: frozenset[int] = frozenset(),
        proc: Path = Path("/proc"),
    ) -> None:
        self.root = root
        self.interval = interval
        self.others = others
        self.proc = proc
        self.rss_peak_kb = 0
        self.peak_processes: list[tuple[str, int]] = []  # (name, VmRSS kB) at the peak tick
        self.hwm_max_kb = 0
        self._shared: dict[int, tuple[float, int]] = {}  # forked children's shared kB (read_processes)
        self._children: ChildCache = {}  # children of many-threaded processes (family)
        self.samples = 0
        self.cpu_s = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-sampler", daemon=True)

    def _roots(self) -> list[int]:
        return [self.root, *orphans(self.others | {self.root}, self.proc)]

    def sample(self) -> None:
        members: dict[int, int | None] = {}
        for r in self._roots():
            members = {**family(r, self.proc, self._children), **members}
        rows = read_processes(members, self.proc, self._shared)
        rss = sum(r[1] for r in rows)
        if rss > self.rss_peak_kb:
            self.rss_peak_kb = rss
            self.peak_processes = sorted(((name, kb) for name, kb, _ in rows), key=lambda r: -r[1])
        self.hwm_max_kb = max([self.hwm_max_kb, *(r[2] for r in rows)])
        self.samples += 1

    def _run(self) -> None:
        t0 = time.thread_time()
        while True:
            self.sample()
            if self._stop.wait(self.interval):
                break
        self.cpu_s = time.thread_time() - t0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (at once when it is between ticks) and wait for it."""
        self._stop.set()
        self._thread.join()


def become_subreaper() -> bool:
    """Make orphaned descendants children of this process (Linux); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def orphans(others: Iterable[int], proc: Path = Path("/proc")) -> list[int]:
    """Children of this process other than ``others`` (zombies included until reaped)."""
    known = set(others)
    return [c for c in children(os.getpid(), proc) if c not in known]


def _drain(others: frozenset[int], timeout: float) -> int:
    """Wait for the children of this process not in ``others`` (the subreaped orphans of the measured
    command, also those orphaned while waiting); kill those still alive after ``timeout``. Returns the
    largest ``ru_maxrss`` (kB) of those waited for."""
    deadline = time.monotonic() + timeout
    maxrss = 0
    while kids := orphans(others):
        for pid in kids:
            with contextlib.suppress(ChildProcessError):
                done, _, usage = os.wait4(pid, os.WNOHANG)
                if done:
                    maxrss = max(maxrss, usage.ru_maxrss)
        if time.monotonic() > deadline:
            for pid in kids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)
    return maxrss


def measure(
    cmd: Sequence[str],
    env: Mapping[str, str] | None = None,
    stdout: Path | None = None,
    stderr: Path | None = None,
    interval: float = 0.5,
) -> Measured:
    """Run ``cmd`` to completion and measure its process tree (see the module docstring).

    Children this process already has are left alone (neither waited for nor sampled), but the CPU time
    of any of them that exits and is reaped meanwhile would be counted: measure from a process that runs
    nothing else at the time.
    """
    become_subreaper()
    cpu0 = _children_cpu()
    with open(stdout or os.devnull, "w") as so, open(stderr or os.devnull, "w") as se:
        before = frozenset(children(os.getpid()))
        t0 = time.monotonic()
        proc = subprocess.Popen(list(cmd), env=dict(env) if env is not None else None, stdout=so, stderr=se)
        sampler = TreeSampler(proc.pid, interval, before)
        sampler.start()
        try:
            # wait4, not proc.wait(): its ru_maxrss is the command's peak RSS (and that of descendants it
            # waited for), exact even for a run shorter than one sampling interval
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.monotonic() - t0
            proc.returncode = rc = os.waitstatus_to_exitcode(status)
            orphans_maxrss = _drain(before, DRAIN_TIMEOUT_S)
        finally:
            sampler.stop()
    return Measured(
        returncode=rc,
        wall_s=wall,
        cpu_s=_children_cpu() - cpu0,
        tree_rss_peak_mb=sampler.rss_peak_kb / 1024,
        max_hwm_mb=max(sampler.hwm_max_kb, usage.ru_maxrss, orphans_maxrss) / 1024,
        samples=sampler.samples,
        sampler_cpu_s=sampler.cpu_s,
        peak_processes=tuple((name, round(kb / 1024)) for name, kb in sampler.peak_processes),
    )
