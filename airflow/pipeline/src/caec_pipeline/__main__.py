"""``python -m caec_pipeline``: see :mod:`caec_pipeline.cli`."""

from __future__ import annotations

import sys

from caec_pipeline.cli import main

if __name__ == "__main__":
    sys.exit(main())
