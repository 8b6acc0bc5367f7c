"""``python -m caec_dashboard``: see :mod:`caec_dashboard.cli`."""

from __future__ import annotations

import sys

from caec_dashboard.cli import main

if __name__ == "__main__":
    sys.exit(main())
