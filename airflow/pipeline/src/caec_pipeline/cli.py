"""Command line: ``python -m caec_pipeline {run,dq-gate,publish,erase,config}``.

``run`` is the embedded default (what ``make run`` calls). ``dq-gate`` and ``publish`` are the last two
steps of the daily DAG, callable on their own (the DAG's local mode runs them; so can a person
re-checking a day). ``erase`` removes a data subject from staging and the marts (what ``make erase``
calls; docs/privacy.md). Exit codes: 0 ok, 1 a stage or the gate failed, 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime

from caec_pipeline import __version__, erasure
from caec_pipeline.config import INPUT_FORMATS, ConfigError, PipelineConfig
from caec_pipeline.dq import DQThresholds, ManifestError, evaluate_manifests, load_manifests
from caec_pipeline.lifeline import stop_with_parent
from caec_pipeline.publish import publish
from caec_pipeline.runner import (
    DEFAULT_DAYS,
    DEFAULT_EVENTS,
    DEFAULT_SAMPLE_START,
    RunOptions,
    StageFailed,
    execute,
    format_summary,
    run_pipeline,
)
from caec_pipeline.window import DayWindow, parse_day

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _day(text: str) -> date:
    try:
        return parse_day(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m caec_pipeline",
        description="CAEC pipeline: run the whole clickstream pipeline locally, or its gate/publish steps.",
        epilog="Configuration comes from CAEC_* environment variables (docs/configuration.md); "
        "every one has a local default.",
    )
    parser.add_argument("--version", action="version", version=f"caec_pipeline {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log configuration details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser(
        "run",
        help="sample data (or your logs) -> Spark sessions -> dbt marts on DuckDB -> dashboard -> DQ gate",
        description="Run the embedded-default pipeline end to end on this machine. Without --input it "
        f"generates {DEFAULT_EVENTS:,} synthetic events over {DEFAULT_DAYS} days from {DEFAULT_SAMPLE_START}.",
    )
    run.add_argument(
        "--input", metavar="PATH", help="your own raw logs (file or folder; .gz read transparently)"
    )
    run.add_argument(
        "--format", choices=INPUT_FORMATS, help="format of --input (default: CAEC_INPUT_FORMAT, i.e. jsonl)"
    )
    run.add_argument(
        "--events", type=_positive, default=DEFAULT_EVENTS, help="synthetic events (default %(default)s)"
    )
    run.add_argument("--seed", type=int, default=1, help="generator seed (default %(default)s)")
    run.add_argument("--start", type=_day, metavar="DATE", help="first day, YYYY-MM-DD")
    run.add_argument(
        "--end", type=_day, metavar="DATE", help="day after the last one (exclusive), YYYY-MM-DD"
    )
    run.add_argument(
        "--days",
        type=_positive,
        default=DEFAULT_DAYS,
        help="days of synthetic data when --end is not given (default %(default)s)",
    )
    run.add_argument("--open", action="store_true", help="open the dashboard in a browser at the end")
    run.add_argument(
        "--keep-existing",
        action="store_true",
        help="keep earlier local outputs (default: a run replaces them)",
    )
    run.add_argument("--no-dq-fail", action="store_true", help="report a failed data-quality gate but exit 0")

    for name, text in (
        ("dq-gate", "check the Spark run manifests of [START, END) against the CAEC_DQ_MAX_* thresholds"),
        ("publish", "run the gate, then mark each day of [START, END) as published (idempotent)"),
    ):
        cmd = sub.add_parser(name, help=text, description=text)
        cmd.add_argument("--start", type=_day, required=True, metavar="DATE", help="first day, YYYY-MM-DD")
        cmd.add_argument(
            "--end", type=_day, required=True, metavar="DATE", help="day after the last (exclusive)"
        )
        cmd.add_argument("--json", action="store_true", help="print the verdict as JSON")

    erase = sub.add_parser(
        "erase",
        help="erase a data subject from staging (events, sessions, state, quarantine) and the marts",
        description="Hash the subject's raw keys with the job's salt, record the request in the erasure "
        "ledger <staging>/_erasure/ledger.jsonl (hashed ids only; later Spark runs filter them), rewrite and "
        "republish the staged partitions that hold them, delete them from every mart table and rebuild the "
        "affected days (docs/privacy.md). Idempotent: erasing again removes nothing.",
    )
    erase.add_argument(
        "--user-id", help="user id as the logs spell it (jsonl visitor_id, combined authuser, ...)"
    )
    erase.add_argument("--cookie-id", help="cookie id (the same keys as --user-id)")
    erase.add_argument("--ip", help="client IP of an IP + user agent key (with --user-agent)")
    erase.add_argument("--user-agent", help="user agent of that key, exactly as logged")
    erase.add_argument("--format", choices=INPUT_FORMATS, help="only this format's key kinds (default: all)")
    erase.add_argument("--requested-by", required=True, help="who asked (recorded in the ledger)")
    erase.add_argument("--request-id", help="ledger id (default: erase_<UTC time>)")

    sub.add_parser("config", help="print the resolved configuration (salt masked)")
    return parser


class Interrupted(KeyboardInterrupt):
    """A stop signal other than SIGINT; a KeyboardInterrupt, so every cleanup path that stops a running
    stage and restores the previous outputs handles it the same way as Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM (a timeout, a killed CI job) and SIGHUP (the terminal closed) unwind like Ctrl-C."""
    raise Interrupted(signum)


def interrupted_exit_code(exc: KeyboardInterrupt) -> int:
    """128 + the signal number, as a shell reports a process killed by it: 130 Ctrl-C, 143 SIGTERM."""
    return 128 + int(getattr(exc, "signum", signal.SIGINT))


def stop_with_make() -> None:
    """Get SIGTERM (an orderly stop) when the parent, usually ``make``, dies (Linux).

    A ``make`` killed with SIGKILL passes nothing on; without this the run and its stage go on alone.
    """
    if not stop_with_parent(os.getppid()):  # the parent died before the request took effect
        raise Interrupted(signal.SIGTERM)


def main(argv: Sequence[str] | None = None) -> int:
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _terminate)
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        cfg = PipelineConfig.from_env()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.command == "run":
            stop_with_make()
            return _run(cfg, args)
        if args.command == "erase":
            return _erase(cfg, args)
        if args.command == "config":
            print(json.dumps(cfg.describe(), indent=2))
            return EXIT_OK
        return _gate(cfg, args, publish_days=args.command == "publish")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        print(f"\ninterrupted ({str(exc) or 'SIGINT'}): the running stage was stopped", file=sys.stderr)
        return interrupted_exit_code(exc)


def _run(cfg: PipelineConfig, args: argparse.Namespace) -> int:
    if args.input is None and args.format is not None and args.format != cfg.input_format:
        # the generator writes the requested format; keep config and job in agreement
        cfg = PipelineConfig.from_env({**cfg.to_env(), "CAEC_INPUT_FORMAT": args.format}, cfg.repo_root)
    opts = RunOptions(
        input_uri=args.input,
        input_format=args.format,
        events=args.events,
        seed=args.seed,
        start=args.start,
        end=args.end,
        days=args.days,
        open_dashboard=args.open,
        keep_existing=args.keep_existing,
        dq_gate=not args.no_dq_fail,
    )
    try:
        summary = run_pipeline(cfg, opts, sys.stdout)
    except StageFailed as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except (ManifestError, RuntimeError) as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(format_summary(summary, cfg))
    if summary.dq and not summary.dq.passed and not args.no_dq_fail:
        print(
            "\nerror: the data-quality gate failed (see above); the outputs are written but not fit to publish. "
            "Re-run with --no-dq-fail (make run ARGS=--no-dq-fail) to accept them.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK


def _erase(cfg: PipelineConfig, args: argparse.Namespace) -> int:
    """The three erasure steps in this machine's venvs, through the same stage runner as ``run``."""
    keys = erasure.SubjectKeys.from_params(vars(args))
    request_id = erasure.request_id_for(args.request_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"))
    log_dir = cfg.logs_dir / request_id
    try:
        execute(erasure.erase_staging_stage(cfg, keys, args.requested_by, request_id), log_dir, sys.stdout)
        entry = erasure.load_entry(cfg, request_id)
        execute(erasure.erase_marts_stage(cfg, entry), log_dir, sys.stdout)
        rebuild = erasure.rebuild_marts_stage(cfg, entry)
        if rebuild is not None:
            execute(rebuild, log_dir, sys.stdout)
    except (StageFailed, erasure.ErasureError) as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(
        json.dumps(
            {k: entry[k] for k in ("request_id", "requested_by", "requested_at", "rows_removed")},
            sort_keys=True,
        )
    )
    print(
        f"ledger: {cfg.staging_uri}/{erasure.LEDGER}; mart rows removed: table erasure_log (dbt show --select erasure_ledger)"
    )
    return EXIT_OK


def _gate(cfg: PipelineConfig, args: argparse.Namespace, *, publish_days: bool) -> int:
    window = DayWindow(args.start, args.end)
    try:
        manifests = load_manifests(cfg.staging_uri, window)
    except ManifestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    result = evaluate_manifests(manifests, DQThresholds.from_config(cfg))
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, sort_keys=True))
    else:
        print(result.message)
    if not result.passed:
        return EXIT_FAILED
    if publish_days:
        for uri in publish(cfg, window, result):
            print(f"published {uri}", file=sys.stderr if args.json else sys.stdout)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
