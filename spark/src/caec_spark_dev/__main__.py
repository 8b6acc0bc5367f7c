"""Command line: ``python -m caec_spark_dev {generate,duck,bench,cds} ...`` (``--help`` of each).

- ``generate``: synthetic raw logs with ground truth (:mod:`caec_spark_dev.generate`; ``make generate``);
- ``duck``: the job's rules as DuckDB SQL over jsonl day files (:mod:`caec_spark_dev.duck`);
- ``bench``: the Spark job against its DuckDB twin (:mod:`caec_spark_dev.bench`; ``make bench-spark``);
- ``cds``: the JVM class archive local drivers start with (:mod:`caec_spark_dev.cds`; the venv's setup).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

COMMANDS = {
    "generate": "caec_spark_dev.generate",
    "duck": "caec_spark_dev.duck",
    "bench": "caec_spark_dev.bench",
    "cds": "caec_spark_dev.cds",
}
USAGE = f"usage: python -m caec_spark_dev {{{','.join(COMMANDS)}}} [--help | options]"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] in (["-h"], ["--help"]):
        print(f"{USAGE}\n\n{__doc__}")
        return 0
    if not args or args[0] not in COMMANDS:
        print(f"{USAGE}\npython -m caec_spark_dev: error: unknown command {args[:1]}", file=sys.stderr)
        return 2
    tool = importlib.import_module(COMMANDS[args[0]])
    return int(tool.main(args[1:]))


if __name__ == "__main__":
    sys.exit(main())
