"""Progress lines on stderr: ``caec-spark HH:MM:SS [stage] message`` (stdout stays clean for results)."""

from __future__ import annotations

import sys
import time


def progress(stage: str, message: str) -> None:
    """Print one progress line to stderr, flushed, so long runs show where they are."""
    print(
        f"caec-spark {time.strftime('%H:%M:%S', time.gmtime())} [{stage}] {message}",
        file=sys.stderr,
        flush=True,
    )
