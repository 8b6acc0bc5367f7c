"""A stage never outlives the run that started it, even a run killed with SIGKILL.

Stages run in their own session, so that the runner can stop a stage's whole process tree (Spark's
JVM included) with one signal, and so that a terminal's Ctrl-C reaches the runner first. The price:
when the runner itself dies without cleaning up (SIGKILL, an OOM kill, a harness that escalates), no
signal reaches the stage and it runs on, holding DuckDB's lock against the next run.

So each stage starts through this file (standard library only, run by path): it asks the kernel for
SIGTERM when the runner dies (Linux ``prctl(PR_SET_PDEATHSIG)``), starts the stage in its own process
group and, on that SIGTERM, stops the group: SIGTERM, then SIGKILL after a grace period. While the
runner lives it stops stages itself (``runner.stop_process_group``) and this file only passes the exit
code on. Elsewhere than Linux the stage starts directly.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

PR_SET_PDEATHSIG = 1
GRACE_S = 10.0


def supported() -> bool:
    return sys.platform.startswith("linux")


def stop_with_parent(parent: int) -> bool:
    """Ask for SIGTERM when the parent dies; False if ``parent`` is already gone (or has changed)."""
    if supported():
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    return os.getppid() == parent


def command(argv: Sequence[str]) -> list[str]:
    """``argv`` started through this file on behalf of the calling process."""
    if not supported():
        return list(argv)
    return [sys.executable, os.path.abspath(__file__), str(os.getpid()), *argv]


def _stop_group(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM our process group (the stage's tree), SIGKILL it after the grace period."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.killpg(0, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_S
    while time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.1)
    os.killpg(0, signal.SIGKILL)  # ends this process too


def main(args: Sequence[str]) -> int:
    parent, argv = int(args[0]), list(args[1:])
    if not stop_with_parent(parent):
        return 128 + signal.SIGTERM
    try:
        child = subprocess.Popen(argv)
    except OSError as exc:
        print(f"cannot start {argv[0]}: {exc}", file=sys.stderr)
        return 127

    def on_term(signum: int, frame: object) -> None:
        if os.getppid() != parent:  # the run died: nobody else will stop the stage
            _stop_group(child)
        # else the runner is stopping the group itself (it signalled all of it) and escalates on its own

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runner decides what a Ctrl-C means
    code = child.wait()
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
