"""Spark entry file for SparkApplications: ``mainApplicationFile: local:///opt/caec/spark/main.py``.

Why a file: spark-submit runs a Python *file*, while our job is the ``caec_spark`` package's CLI
(``python -m caec_spark``); this shim runs exactly that, with the same arguments.
"""

from __future__ import annotations

import sys

from caec_spark.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
