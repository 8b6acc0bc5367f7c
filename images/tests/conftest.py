"""The image tests read lock files with the shared reader in .ci/lib (caec_locks), as helm/tests do."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / ".ci" / "lib"))
