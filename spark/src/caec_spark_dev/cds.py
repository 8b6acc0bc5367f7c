"""``python -m caec_spark_dev cds``: the JVM class data sharing archive local Spark drivers start with.

A dynamic AppCDS archive (JDK 17 ``-XX:ArchiveClassesAtExit``) of the classes one real sessionize run
loads: a small generated input (two days of jsonl.gz with malformed lines) through ``python -m caec_spark
sessionize``. :func:`caec_spark.session.cds_archive` finds it at ``<venv>/caec-spark.jsa`` (or
``CAEC_SPARK_CDS_ARCHIVE``). The spark venv's setup (spark/spark.mk) writes it after every sync, so it
always matches the venv's jars and the JDK it was made with; the JVM ignores an archive that does not.

An archive is a startup cache, not a requirement: if making one fails, this says why on stderr and exits
0, and Spark starts as it would without it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from caec_spark.config import SALT_ENV
from caec_spark.session import CDS_ARCHIVE_ENV, DEFAULT_CDS_ARCHIVE

SAMPLE_EVENTS = 5000


def dump_command(raw: Path, out: Path) -> list[str]:
    """The sessionize run whose loaded classes go into the archive (two days, as a daily run reads)."""
    return [sys.executable, "-m", "caec_spark", "sessionize", "--input", str(raw), "--format", "jsonl",
            "--output", str(out), "--start", "2026-11-01", "--end", "2026-11-03", "--run-id", "cds",
            "--master", "local[2]"]  # fmt: skip


def make_archive(output: Path) -> str | None:
    """Write the archive to ``output`` (atomically); the reason on failure, else None."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="caec-cds-") as tmp:
        raw, staged = Path(tmp) / "raw", Path(tmp) / "staging"
        archive = Path(tmp) / "caec-spark.jsa"
        gen = subprocess.run(
            [sys.executable, "-m", "caec_spark_dev", "generate", "--events", str(SAMPLE_EVENTS), "--format",
             "jsonl", "--seed", "7", "--output", str(raw), "--start", "2026-11-01", "--days", "3"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if gen.returncode != 0:
            return f"generating the sample input failed: {gen.stderr.strip()[-500:]}"
        env = dict(os.environ)
        # This run's own options replace the driver's usual ones: no archive is read while one is written.
        env["PYSPARK_SUBMIT_ARGS"] = (
            f"--conf spark.driver.extraJavaOptions=-XX:ArchiveClassesAtExit={archive} pyspark-shell"
        )
        env[CDS_ARCHIVE_ENV] = str(Path(tmp) / "none.jsa")
        env.setdefault(SALT_ENV, "cds")
        run = subprocess.run(dump_command(raw, staged), capture_output=True, text=True, env=env, check=False)
        if run.returncode != 0 or not archive.is_file():
            return f"the sample run failed (exit {run.returncode}): {run.stderr.strip()[-800:]}"
        os.replace(archive, output)
    return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m caec_spark_dev cds", description=__doc__.splitlines()[0])
    p.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_CDS_ARCHIVE,
        help=f"archive path (default {DEFAULT_CDS_ARCHIVE})",
    )
    args = p.parse_args(argv)
    t0 = time.monotonic()
    print(
        f"caec-spark cds: recording the classes of a {SAMPLE_EVENTS}-event run into {args.output}",
        file=sys.stderr,
    )
    problem = make_archive(args.output)
    if problem:
        print(
            f"caec-spark cds: warning: no archive written, Spark starts without one: {problem}",
            file=sys.stderr,
        )
        return 0
    size_mb = args.output.stat().st_size / 1e6
    print(
        f"caec-spark cds: {args.output} ({size_mb:.0f} MB) in {time.monotonic() - t0:.0f} s", file=sys.stderr
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
