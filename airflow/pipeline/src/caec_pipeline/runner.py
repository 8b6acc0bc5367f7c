"""The local end-to-end run behind ``make run``: sample data -> sessions -> marts -> dashboard -> DQ gate.

Each stage is a child process in its component's own virtual environment (the pins of Spark, dbt and
the dashboard conflict): a :class:`~caec_pipeline.steps.Stage` of the plan :mod:`steps` builds, the same
the Airflow DAG's local-mode tasks run. :func:`execute` is the one stage runner of both: it streams the
child's output into a log (file and/or the task log), shows progress read from the child's JSON progress
lines, and on failure raises with the stage's log tail and where the full log is.

The day window is decided once, before anything runs (:func:`run_window`), and passed to every stage.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import threading
import time
import webbrowser
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from caec_pipeline import lifeline, outputs, retention, steps
from caec_pipeline.config import PipelineConfig, is_remote_uri, local_path
from caec_pipeline.dq import DQResult, DQThresholds, evaluate_manifests, load_manifests
from caec_pipeline.progress import Progress, ProgressLine, advance, format_seconds, read_line, split_output
from caec_pipeline.steps import Stage
from caec_pipeline.window import DayWindow, window_of_input

DEFAULT_EVENTS = 200_000
DEFAULT_DAYS = 14
# A fixed default window (a Monday, so weekly cohorts start on a week boundary): repeated `make run`s
# rebuild the same partitions and give the same dashboard for the same seed.
DEFAULT_SAMPLE_START = date(2026, 10, 5)
LOG_TAIL_LINES = 30
_KEPT_LINES = 2000
_KEY_LINE = re.compile(r"(error|exception|failed|traceback)", re.IGNORECASE)
# Spark query plans and stack frames: hundreds of lines that bury the actual message.
_PLAN_LINE = re.compile(r"^\s*([:+|]|at |\.\.\. \d+ more|File \"|\^+\s*$)")

EXAMPLE_QUERY = (
    "select date_day, visitors, sessions, page_views, round(bounce_rate, 3) as bounce_rate, "
    "round(avg_session_duration_s, 1) as avg_duration_s from marts.agg_daily_traffic order by date_day limit 7"
)


@dataclass(frozen=True)
class RunOptions:
    """What the user asked ``run`` for (CLI flags / make variables)."""

    input_uri: str | None = None
    input_format: str | None = None
    events: int = DEFAULT_EVENTS
    seed: int = 1
    start: date | None = None
    end: date | None = None
    days: int = DEFAULT_DAYS
    open_dashboard: bool = False
    keep_existing: bool = False
    dq_gate: bool = True


class StageFailed(RuntimeError):
    """A stage exited non-zero (or could not start); the message carries the log tail and the log path."""

    def __init__(self, stage: Stage, detail: str, log_path: Path | None, tail: list[str]) -> None:
        self.stage = stage
        self.log_path = log_path
        self.tail = tail
        lines = [f"stage '{stage.key}' failed: {detail}"]
        if tail:
            lines.append("--- key lines and the end of its output ---")
            lines.extend(f"  | {t}" for t in tail)
        if log_path:
            lines.append(f"full log: {log_path}")
        lines.append(f"command: {' '.join(stage.argv)}")
        super().__init__("\n".join(lines))


@dataclass
class RunSummary:
    """What the run produced, for the final report and for tests."""

    window: DayWindow
    totals: dict[str, int]
    quarantined_by_reason: dict[str, int]
    dq: DQResult | None
    duckdb_path: Path
    dashboard_path: Path
    stage_seconds: dict[str, float]
    example_output: str = ""


# ---------------------------------------------------------------------------- planning (pure)


def run_window(opts: RunOptions, fmt: str) -> tuple[DayWindow, str]:
    """The run's day window, decided once from what was asked, and how it was found (for the header).

    Generated data: START/END if given, else DEFAULT_SAMPLE_START + days. Your own input: START and END
    both, or neither to take them from a local input (:func:`caec_pipeline.window.window_of_input`).
    """
    if opts.input_uri is None:
        start = opts.start or DEFAULT_SAMPLE_START
        return (DayWindow(start, opts.end) if opts.end else DayWindow.of_days(start, opts.days)), ""
    if (opts.start is None) != (opts.end is None):
        raise ValueError(
            "give both --start and --end (END exclusive), or neither to take the window from the data"
        )
    if opts.start and opts.end:
        return DayWindow(opts.start, opts.end), ""
    if is_remote_uri(opts.input_uri):
        raise ValueError(f"--input {opts.input_uri} is remote: pass --start and --end (END exclusive)")
    return window_of_input(local_path(opts.input_uri), fmt)


# ---------------------------------------------------------------------------- execution


def failure_excerpt(lines: list[str], size: int = LOG_TAIL_LINES, width: int = 300) -> list[str]:
    """The lines worth showing for a failed stage: the last error-looking lines, then the readable tail.

    Query plans and stack frames are skipped and long lines clipped: the full log is on disk.
    """

    def clip(text: str) -> str:
        return text if len(text) <= width else text[: width - 1] + "…"

    readable = [clip(t) for t in lines if not _PLAN_LINE.match(t)]
    keys: list[str] = []
    for text in reversed(readable):
        if _KEY_LINE.search(text) and text not in keys:
            keys.insert(0, text)
            if len(keys) == 5:
                break
    room = size - len(keys) - (1 if keys else 0)
    rest = [t for t in readable if t not in keys][-room:] if room > 0 else []
    return [*keys, *(["..."] if keys and rest else []), *rest]


def _reader(pipe: Any, sink: queue.Queue[str | None]) -> None:
    for chunk in iter(lambda: pipe.read1(65536), b""):
        sink.put(chunk.decode("utf-8", errors="replace"))
    sink.put(None)


def execute(
    stage: Stage,
    log_dir: Path | None,
    out: TextIO | None,
    echo: Callable[[str], None] | None = None,
) -> float:
    """Run one stage; returns the seconds it took, raises :class:`StageFailed` when it fails.

    Its output (JSON progress lines read back into text) goes to ``<log_dir>/<key>.log`` when a log dir
    is given and to ``echo`` line by line (the DAG's task log); its progress is drawn on ``out``. Ctrl-C
    or SIGTERM stops the stage's whole process group before the exception goes on.
    """
    executable = Path(stage.argv[0])
    if executable.is_absolute() and not executable.exists():
        venv = executable.parent.parent
        raise StageFailed(
            stage,
            f"{executable} does not exist: the virtual environment {venv} is missing; "
            f"`make run` creates it (or `make setup`, or `make {venv}/.synced` in {stage.cwd or '.'})",
            None,
            [],
        )
    log_path = None
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        log_path = log_dir / f"{stage.key}.log"
    env = os.environ | stage.env | {"PYTHONUNBUFFERED": "1"}
    line = ProgressLine(stage.title, out) if out is not None else None
    tail: deque[str] = deque(maxlen=_KEPT_LINES)
    progress = Progress()
    started = time.monotonic()
    log = log_path.open("w", encoding="utf-8") if log_path else _NoLog()
    with log:
        log.write(f"$ {' '.join(stage.argv)}\n")
        log.flush()
        # Own session: on Ctrl-C / SIGTERM the whole stage (Spark's JVM included) is stopped as a group;
        # started through the lifeline so that it stops too if this process is killed outright.
        proc = subprocess.Popen(
            lifeline.command(stage.argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=stage.cwd or None,
            start_new_session=True,
        )
        sink: queue.Queue[str | None] = queue.Queue()
        thread = threading.Thread(target=_reader, args=(proc.stdout, sink), daemon=True)
        thread.start()
        pending = ""
        try:
            while True:
                try:
                    chunk = sink.get(timeout=0.5)
                except queue.Empty:
                    if line:
                        line.update(progress)
                    continue
                if chunk is None:
                    break
                pending += chunk
                *complete, pending = pending.replace("\r", "\n").split("\n")
                for text in split_output("\n".join(complete)):
                    read = read_line(text)
                    log.write(read.text + "\n")
                    tail.append(read.text)
                    if echo:
                        echo(read.text)
                    progress = advance(progress, read)
                log.flush()  # the log is what people tail while a stage runs
                if line:
                    line.update(progress)
            returncode = proc.wait()
        except BaseException:  # Ctrl-C, SIGTERM/SIGHUP (cli.Interrupted): the stage must not outlive us
            if line:
                line.close()
            stop_process_group(proc)
            raise
        if pending.strip():
            read = read_line(pending.strip())
            log.write(read.text + "\n")
            tail.append(read.text)
            if echo:
                echo(read.text)
        thread.join(timeout=5)
    if line:
        line.close()
    elapsed = time.monotonic() - started
    if returncode != 0:
        raise StageFailed(
            stage,
            f"exit code {returncode} after {format_seconds(elapsed)}",
            log_path,
            failure_excerpt(list(tail)),
        )
    return elapsed


class _NoLog:
    """The log file of a stage that has none (the DAG's task log gets every line through ``echo``)."""

    def __enter__(self) -> _NoLog:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def write(self, text: str) -> None:
        return None

    def flush(self) -> None:
        return None


def stop_process_group(proc: subprocess.Popen[bytes], grace_s: float = 10.0) -> None:
    """SIGTERM the stage's process group, SIGKILL what is left after ``grace_s``.

    A second Ctrl-C or SIGTERM (make passes one on, the terminal sends another) is held back until the
    group is gone, so it cannot cut the grace period short and skip the SIGKILL.
    """
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGHUP})
    try:
        if not _signal_group(proc.pid, signal.SIGTERM):
            return
        deadline = time.monotonic() + grace_s
        # the leader may exit first while its children (Spark's JVM) still shut down: wait for the group
        while time.monotonic() < deadline and (proc.poll() is None or _signal_group(proc.pid, 0)):
            time.sleep(0.1)
        _signal_group(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _signal_group(pgid: int, sig: int) -> bool:
    """Send ``sig`` to a process group (0: only test it); False when no process of it is left."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    return True


def run_pipeline(cfg: PipelineConfig, opts: RunOptions, out: TextIO) -> RunSummary:
    """The whole local run; raises StageFailed / ValueError with a message for the user."""
    if not cfg.is_local:
        raise ValueError("`run` is the local embedded pipeline: unset CAEC_MODE (or set CAEC_MODE=local)")
    if is_remote_uri(cfg.staging_uri):
        raise ValueError("`run` writes local staging data: point CAEC_STAGING_URI at a local path")
    if opts.input_uri and not is_remote_uri(opts.input_uri) and not local_path(opts.input_uri).exists():
        raise ValueError(f"--input {opts.input_uri}: no such file or directory")
    fmt = opts.input_format or cfg.input_format
    window, found = run_window(opts, fmt)
    generating = opts.input_uri is None
    log_dir = cfg.logs_dir / time.strftime("run-%Y%m%dT%H%M%S")

    def say(text: str = "") -> None:
        out.write(text + "\n")
        out.flush()

    say("CAEC local run (embedded default: Spark local mode, dbt on DuckDB, dashboard as a file)")
    if generating:
        say(
            f"  input: synthetic {fmt} logs, {opts.events:,} events over {window.days} days from {window.start} (seed {opts.seed})"
        )
    else:
        say(f"  input: {opts.input_uri} (format {fmt}), window {window}" + (f", {found}" if found else ""))
    say(f"  data dir: {cfg.data_dir}    stage logs: {log_dir}")
    plan = outputs.plan_outputs(cfg, generating=generating, keep_existing=opts.keep_existing)
    if outputs.recover(plan):
        say(f"  put back the outputs an interrupted earlier run had set aside in {plan.previous_dir}")
    outputs.set_aside(plan)
    say("  the previous run's warehouse and dashboard stay in place until this run has built new ones")
    # Before the stages, so a run never prunes what it is about to write (docs/privacy.md, retention).
    for line in retention.apply_local_retention(cfg):
        say(line)
    say()
    build_cfg = outputs.build_config(cfg, plan)
    dashboard_out = dict(plan.built).get(cfg.dashboard_path.resolve(), cfg.dashboard_path)
    stages = plan_stages(build_cfg, opts, window, fmt, dashboard_out)
    try:
        dq, timings = _run_stages(build_cfg, stages, window, opts.dq_gate, log_dir, say, out)
    except BaseException:
        failed_dir = log_dir / "failed-run-outputs"
        outputs.roll_back(plan, failed_dir)
        if plan.in_place and failed_dir.exists():
            say(
                f"\n  this run's own files (staging, quarantine, generated raw data) are kept in {failed_dir}"
            )
        say("  outputs of earlier runs are unchanged")
        raise
    outputs.commit(plan)
    summary = RunSummary(
        window=window,
        totals=dq.totals,
        quarantined_by_reason=dq.quarantined_by_reason,
        dq=dq,
        duckdb_path=cfg.duckdb_path,
        dashboard_path=cfg.dashboard_path,
        stage_seconds=timings,
    )
    summary.example_output = example_query(cfg)
    if opts.open_dashboard:
        webbrowser.open(cfg.dashboard_path.resolve().as_uri())
    return summary


def plan_stages(
    cfg: PipelineConfig, opts: RunOptions, window: DayWindow, fmt: str, dashboard_out: Path
) -> list[tuple[Stage, str]]:
    """The stages of a local run, each with the line that introduces it (pure: :mod:`steps`' stages).

    The daily DAG's local mode runs the same sessionize and dbt stages, one per task.
    """
    plan = []
    if opts.input_uri is None:
        plan.append(
            (
                steps.generate_stage(cfg, opts.events, opts.seed, window),
                f"{opts.events:,} events -> {cfg.raw_uri}",
            )
        )
    sessionize = steps.sessionize_stage(cfg, window, input_uri=opts.input_uri, input_format=fmt)
    plan.append((sessionize, f"Spark local mode -> {cfg.staging_uri}"))
    plan.append((steps.dbt_build_stage(cfg, window), f"models + tests on DuckDB -> {cfg.duckdb_path}"))
    plan.append((steps.dashboard_stage(cfg, dashboard_out), f"-> {dashboard_out}"))
    return plan


class RunStopped(RuntimeError):
    """The run stopped between stages: what the finished ones produced makes the rest pointless."""


def stop_reason(intake: DQResult, dq_gate: bool) -> str | None:
    """Why a run must not go on to dbt after sessionize, or None (pure; the gate's own verdict).

    No valid event leaves nothing to build; a quarantine share over the threshold means the input or
    its format is wrong, so building marts from the remainder would only hide that (``--no-dq-fail``
    builds them anyway).
    """
    if intake.nothing_to_build:
        return "\n".join(intake.failures) or "the run produced no valid event"
    if intake.quarantine_failure and dq_gate:
        return (
            intake.quarantine_failure
            + "\n(--no-dq-fail, i.e. make run ARGS=--no-dq-fail, builds the marts anyway)"
        )
    return None


def run_manifests(cfg: PipelineConfig, window: DayWindow) -> list[dict[str, Any]]:
    """The published manifest of this run's window (the latest run of exactly that window)."""
    return [
        m
        for m in load_manifests(cfg.staging_uri, window)
        if {k: str(v) for k, v in (m.get("window") or {}).items() if k in ("start", "end")}
        == window.to_dict()
    ]


def _run_stages(
    cfg: PipelineConfig,
    stages: list[tuple[Stage, str]],
    window: DayWindow,
    dq_gate: bool,
    log_dir: Path,
    say: Callable[[str], None],
    out: TextIO,
) -> tuple[DQResult, dict[str, float]]:
    """Run the plan with ``cfg`` pointing at the build paths; returns the gate's verdict and timings."""
    n_stages = len(stages) + 1
    timings: dict[str, float] = {}
    dq: DQResult | None = None
    for number, (stage, detail) in enumerate(stages, 1):
        if stage.key == "dbt":
            cfg.duckdb_path.parent.mkdir(
                parents=True, exist_ok=True
            )  # DuckDB creates the file, not its folder
        say(f"[{number}/{n_stages}] {stage.title}: {detail}")
        timings[stage.key] = execute(stage, log_dir, out)
        say(f"      done in {format_seconds(timings[stage.key])}")
        if stage.key == "sessionize":
            # The gate's verdict is known now; a run whose input was mostly quarantined stops here with
            # the breakdown instead of failing in dbt with a misleading "no files" message.
            dq = evaluate_manifests(run_manifests(cfg, window), DQThresholds.from_config(cfg))
            stop = stop_reason(dq, dq_gate)
            if stop:
                raise RunStopped(f"stopped after sessionize, before dbt: {stop}")
    assert dq is not None, "a run plan always sessionizes"
    say(f"[{n_stages}/{n_stages}] data-quality gate: manifests of {window.start} .. {window.end}")
    say("      " + dq.message.replace("\n", "\n      "))
    return dq, timings


def example_query_command(cfg: PipelineConfig, sql: str = EXAMPLE_QUERY) -> list[str]:
    """The query command the summary shows (DuckDB via the dashboard venv's Python)."""
    return [
        str(cfg.venv_python("dashboard")),
        "-m",
        "caec_dashboard",
        "sql",
        "--duckdb",
        str(cfg.duckdb_path),
        sql,
    ]


def example_query(cfg: PipelineConfig) -> str:
    """Run the example query; its output (or why it failed) goes into the summary."""
    try:
        proc = subprocess.run(
            example_query_command(cfg), capture_output=True, text=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"(example query could not run: {exc})"
    return (
        proc.stdout.rstrip()
        if proc.returncode == 0
        else f"(example query failed: {proc.stderr.strip()[-500:]})"
    )


def format_summary(summary: RunSummary, cfg: PipelineConfig) -> str:
    """The closing report of ``run``: counts, locations, how to query."""
    t = summary.totals
    total_time = sum(summary.stage_seconds.values())
    bot_share = t["bot"] / t["valid"] if t["valid"] else 0.0
    reasons = ", ".join(f"{k} {v:,}" for k, v in summary.quarantined_by_reason.items()) or "none"
    filtered = summary.dq.filtered_by_reason if summary.dq else {}
    rel = _relative(cfg)
    lines = [
        "",
        f"Summary  ({summary.window.start} .. {summary.window.end}, end exclusive; stages took {format_seconds(total_time)})",
        f"  records read      {t['read']:>12,}",
        f"  valid events      {t['valid']:>12,}   (humans {t['human']:,}, bots {t['bot']:,} = {bot_share:.1%})",
        f"  quarantined       {t['quarantined']:>12,}   by reason: {reasons}",
        f"  filtered          {t['filtered']:>12,}   by reason: {filter_reasons(filtered)}",
        f"  late events       {t['late']:>12,}",
        f"  sessions          {t['sessions']:>12,}",
        f"  data quality      {'passed' if summary.dq and summary.dq.passed else 'FAILED'}",
        "",
        f"  warehouse (DuckDB): {rel(summary.duckdb_path)}",
        f"  dashboard:          {rel(summary.dashboard_path)}   (open it in a browser; it works offline)",
        f"  stage logs:         {rel(cfg.logs_dir)}/",
        "",
        "Example query (DuckDB from Python):",
        "  " + _shell_join([rel(Path(a)) if a.startswith("/") else a for a in example_query_command(cfg)]),
    ]
    if summary.example_output:
        lines += ["", *("  " + x for x in summary.example_output.splitlines())]
    return "\n".join(lines)


# What each of the Spark job's filter reasons means (docs/data-contract.md, manifests' filtered_by_reason).
FILTER_LABELS = {
    "static_asset": "static asset requests",
    "outside_window": "outside the window",
    "lookback_context": "look-back context",
    "context_file": "unreadable records in look-back day files",
}


def filter_reasons(by_reason: Mapping[str, int]) -> str:
    """``static asset requests 1,234, outside the window 3``: each reason under its own label."""
    return ", ".join(f"{FILTER_LABELS.get(k, k)} {v:,}" for k, v in by_reason.items() if v) or "none"


def _relative(cfg: PipelineConfig) -> Any:
    cwd = Path.cwd().absolute()

    def rel(path: Path) -> str:
        try:
            return str(path.absolute().relative_to(cwd))  # absolute(): venv pythons are symlinks
        except ValueError:
            return str(path)

    return rel


def _shell_join(argv: list[str]) -> str:
    import shlex

    return " ".join(shlex.quote(a) for a in argv)
