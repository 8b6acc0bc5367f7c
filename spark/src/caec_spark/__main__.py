"""Command line: ``python -m caec_spark {sessionize,erase} ...`` (see --help of each).

The sample generator is dev tooling: ``python -m caec_spark_dev generate`` (not in the job image)."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import uuid
from collections.abc import Sequence

from caec_spark.config import (
    DEFAULT_LOOKBACK_HOURS,
    FORMATS,
    DayWindow,
    RulesConfig,
    RunConfig,
    identity_salt,
)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m caec_spark",
        description="CAEC sessionization engine: raw click logs -> sessionized events and sessions (PySpark).",
    )
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser(
        "sessionize",
        help="sessionize raw logs for the window [start, end)",
        description=(
            "Read raw logs, quarantine bad records, classify bots and sessionize events for the window "
            "[--start, --end). Writes events/, sessions/, quarantine/ (Parquet, partitioned by date) and "
            "manifests/run_id=<id>.json under --output (docs/data-contract.md). Local mode (local[*]) "
            "unless a Spark master is configured. Exit 0 ok, 1 failed (e.g. counts do not reconcile: nothing "
            "published), 2 usage error."
        ),
    )
    s.add_argument(
        "--input",
        required=True,
        help="file, directory (recursive; dt=YYYY-MM-DD/ day dirs) or glob; local, file:// or gs://; gzip is transparent",
    )
    s.add_argument("--format", required=True, choices=FORMATS, help="raw format (docs/formats.md)")
    s.add_argument(
        "--output", required=True, help="output root URI (events/, sessions/, quarantine/, manifests/)"
    )
    s.add_argument("--start", required=True, help="first UTC day of the window (YYYY-MM-DD)")
    s.add_argument("--end", required=True, help="day after the window's last UTC day (YYYY-MM-DD, exclusive)")
    s.add_argument("--quarantine-output", help="quarantine root URI (default: <output>/quarantine)")
    s.add_argument(
        "--lookback-hours",
        type=int,
        default=DEFAULT_LOOKBACK_HOURS,
        help=f"hours before --start read for context when no visitor state exists (default {DEFAULT_LOOKBACK_HOURS})",
    )
    s.add_argument("--run-id", help="run id for the manifest and rows (default: <start>_<end>_<random>)")
    s.add_argument("--config", help="rules JSON (keys of RulesConfig) overriding the defaults")
    s.add_argument("--master", help="Spark master (default: the configured one, else local[*])")

    e = sub.add_parser(
        "erase",
        help="erase a data subject from staging (events, sessions, visitor state, quarantine)",
        description=(
            "Hash the given raw visitor keys with CAEC_IDENTITY_SALT as the sessionize job does, record the "
            "request in <output>/_erasure/ledger.jsonl (hashed ids only; later sessionize runs filter them), "
            "rewrite every published partition that holds the visitor without it and publish the new "
            "versions with one pointer write (docs/privacy.md). Prints the ledger entry. Idempotent: a second "
            "erasure removes nothing. Marts are erased afterwards by dbt (caec_pipeline erase-marts)."
        ),
    )
    e.add_argument("--output", required=True, help="staging root URI (the sessionize job's --output)")
    e.add_argument("--quarantine-output", help="quarantine root URI (default: <output>/quarantine)")
    e.add_argument(
        "--user-id",
        action="append",
        default=[],
        help="a user id as the logs spell it (jsonl visitor_id, combined authuser, RetailRocket visitorid, "
        "REES46 user_id); repeatable",
    )
    e.add_argument(
        "--cookie-id", action="append", default=[], help="a cookie id (same keys as --user-id); repeatable"
    )
    e.add_argument("--ip", help="client IP of an IP + user agent key (jsonl without visitor_id, combined)")
    e.add_argument("--user-agent", help="the user agent of that key, exactly as logged")
    e.add_argument(
        "--format",
        choices=FORMATS,
        action="append",
        help="only keys of this format (repeatable; default: every format's kinds)",
    )
    e.add_argument("--requested-by", required=True, help="who asked (a steward's name or ticket), recorded")
    e.add_argument("--request-id", help="ledger id of the request (default: erase_<UTC time>_<random>)")
    e.add_argument("--master", help="Spark master (default: the configured one, else local[*])")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "erase":
        return _erase(args)
    return _sessionize(args)


def _erase(args: argparse.Namespace) -> int:
    import json

    from caec_spark.erasure import ConcurrentPublishError, Request, run_erasure
    from caec_spark.publish import PublishLockTimeout
    from caec_spark.session import get_spark

    now = dt.datetime.now(dt.UTC)
    try:
        request = Request(
            ids=tuple([*args.user_id, *args.cookie_id]),
            ip=args.ip,
            user_agent=args.user_agent,
            formats=tuple(args.format or FORMATS),
        )
    except ValueError as exc:
        print(f"caec-spark erase: error: {exc}", file=sys.stderr)
        return 2
    request_id = args.request_id or f"erase_{now:%Y%m%dT%H%M%SZ}_{uuid.uuid4().hex[:8]}"
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,200}", request_id):
        # it names the version folders the erasure writes (v=<request id>_<attempt>)
        print(
            f"caec-spark erase: error: --request-id must be 1-200 of [A-Za-z0-9_.-], got {request_id!r}",
            file=sys.stderr,
        )
        return 2
    # The erasure publishes like a run: its RunConfig carries the roots and a version id unique per
    # attempt (a retried request writes new versions); input, format and window are not used.
    cfg = RunConfig(
        input_uri="",
        fmt="jsonl",
        output_uri=args.output,
        window=DayWindow(now.date(), now.date() + dt.timedelta(days=1)),
        run_id=f"{request_id}_{uuid.uuid4().hex[:8]}",
        quarantine_uri=args.quarantine_output,
        salt=identity_salt(),
    )
    spark = get_spark(master=args.master)
    try:
        entry = run_erasure(spark, cfg, request, request_id, args.requested_by, now)
    except (ConcurrentPublishError, PublishLockTimeout) as exc:
        print(f"caec-spark erase: FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        spark.stop()
    print(json.dumps(entry, sort_keys=True))
    return 0


def _sessionize(args: argparse.Namespace) -> int:
    from caec_spark.io import local_input_bytes
    from caec_spark.job import ReconciliationError, run
    from caec_spark.publish import PublishLockTimeout
    from caec_spark.session import JavaNotFoundError, get_spark

    try:
        # The window is validated here, once; the job takes it as given.
        window = DayWindow.parse(args.start, args.end)
    except ValueError as exc:
        print(f"caec-spark sessionize: error: {exc}", file=sys.stderr)
        return 2
    try:
        rules = RulesConfig.from_json(args.config) if args.config else RulesConfig()
    except (OSError, ValueError, TypeError) as exc:
        print(f"caec-spark sessionize: error: bad --config: {exc}", file=sys.stderr)
        return 2
    try:
        cfg = RunConfig(
            input_uri=args.input,
            fmt=args.format,
            output_uri=args.output,
            window=window,
            run_id=args.run_id
            or f"{window.start.isoformat()}_{window.end.isoformat()}_{uuid.uuid4().hex[:8]}",
            lookback_hours=args.lookback_hours,
            quarantine_uri=args.quarantine_output,
            rules=rules,
            salt=identity_salt(),
        )
    except ValueError as exc:
        print(f"caec-spark sessionize: error: {exc}", file=sys.stderr)
        return 2
    try:
        spark = get_spark(master=args.master, input_bytes=local_input_bytes(args.input))
    except JavaNotFoundError as exc:
        print(f"caec-spark sessionize: error: {exc}", file=sys.stderr)
        return 2
    try:
        result = run(spark, cfg)
    except (ValueError, FileNotFoundError) as exc:
        print(f"caec-spark sessionize: error: {exc}", file=sys.stderr)
        return 2
    except ReconciliationError as exc:
        print(f"caec-spark sessionize: FAILED reconciliation: {exc}", file=sys.stderr)
        return 1
    except PublishLockTimeout as exc:
        print(f"caec-spark sessionize: FAILED publish: {exc}", file=sys.stderr)
        return 1
    finally:
        spark.stop()
    import json

    print(json.dumps({"manifest": result.manifest_uri, "counts": result.counts}, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
