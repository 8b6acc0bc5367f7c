"""The local end-to-end run behind ``make run``: sample data -> sessions -> marts -> dashboard -> DQ gate.

Each stage is a child process in its component's own virtual environment (the pins of Spark, dbt and
the dashboard conflict), built from the same argv definitions the Airflow DAG uses (:mod:`steps`).
The runner streams each child's output into a log file, shows a progress bar parsed from it, and on
failure prints the stage's log tail and where the full log is, then stops.
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
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TextIO

from caec_pipeline import lifeline, outputs, retention, steps
from caec_pipeline.config import PipelineConfig, is_remote_uri, local_path
from caec_pipeline.dq import DQResult, DQThresholds, evaluate_manifests, load_manifests, select_manifests
from caec_pipeline.progress import Progress, ProgressLine, format_seconds, parse_line, split_output
from caec_pipeline.window import has_day_folders, infer_window

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


@dataclass(frozen=True)
class Stage:
    """One child process of the run."""

    key: str
    title: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None


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

    start: date
    end: date
    totals: dict[str, int]
    quarantined_by_reason: dict[str, int]
    dq: DQResult | None
    duckdb_path: Path
    dashboard_path: Path
    stage_seconds: dict[str, float]
    example_output: str = ""


# ---------------------------------------------------------------------------- planning (pure)


def sample_window(opts: RunOptions) -> tuple[date, date]:
    """Window of generated sample data: START/END if given, else DEFAULT_SAMPLE_START + days."""
    start = opts.start or DEFAULT_SAMPLE_START
    end = opts.end or (start + timedelta(days=opts.days))
    steps.check_range(start, end)
    return start, end


def requested_window(opts: RunOptions) -> tuple[date | None, date | None]:
    """Window for the job: generated data always has one; user input may leave it to the data."""
    if opts.input_uri is None:
        return sample_window(opts)
    if (opts.start is None) != (opts.end is None):
        raise ValueError(
            "give both --start and --end (END exclusive), or neither to take the window from the data"
        )
    if opts.start and opts.end:
        steps.check_range(opts.start, opts.end)
    return opts.start, opts.end


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


def execute(stage: Stage, log_dir: Path, out: TextIO) -> float:
    """Run one stage, streaming its output to a log file and a progress line; returns seconds taken."""
    executable = Path(stage.argv[0])
    if executable.is_absolute() and not executable.exists():
        venv = executable.parent.parent
        raise StageFailed(
            stage,
            f"{executable} does not exist: the virtual environment {venv} is missing; "
            "`make run` creates it (or run `make setup`)",
            None,
            [],
        )
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{stage.key}.log"
    env = os.environ | stage.env | {"PYTHONUNBUFFERED": "1"}
    line = ProgressLine(stage.title, out)
    tail: deque[str] = deque(maxlen=_KEPT_LINES)
    progress = Progress()
    started = time.monotonic()
    with log_path.open("w", encoding="utf-8") as log:
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
                    line.update(progress)
                    continue
                if chunk is None:
                    break
                log.write(chunk)
                log.flush()  # the log is what people tail while a stage runs
                pending += chunk
                *complete, pending = pending.replace("\r", "\n").split("\n")
                for text in split_output("\n".join(complete)):
                    tail.append(text)
                    progress = parse_line(text, progress)
                line.update(progress)
            returncode = proc.wait()
        except BaseException:  # Ctrl-C, SIGTERM/SIGHUP (cli.Interrupted): the stage must not outlive us
            line.close()
            stop_process_group(proc)
            raise
        if pending.strip():
            tail.append(pending.strip())
        thread.join(timeout=5)
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


def _manifest_names(cfg: PipelineConfig) -> set[str]:
    directory = local_path(cfg.manifests_uri) if not is_remote_uri(cfg.manifests_uri) else None
    return {p.name for p in directory.glob("*.json")} if directory and directory.is_dir() else set()


def _new_manifests(cfg: PipelineConfig, before: set[str]) -> list[dict[str, Any]]:
    import json

    directory = local_path(cfg.manifests_uri)
    found = []
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        if path.name not in before:
            found.append(json.loads(path.read_text(encoding="utf-8")))
    return found


def _window_of(manifests: list[dict[str, Any]]) -> tuple[date, date]:
    starts, ends = [], []
    for manifest in manifests:
        window = manifest.get("window") or {}
        if window.get("start") and window.get("end"):
            starts.append(date.fromisoformat(str(window["start"])))
            ends.append(date.fromisoformat(str(window["end"])))
    if not starts:
        raise RuntimeError(
            "the sessionize run wrote no manifest with a window: cannot tell dbt which days to build"
        )
    return min(starts), max(ends)


def run_pipeline(cfg: PipelineConfig, opts: RunOptions, out: TextIO) -> RunSummary:
    """The whole local run; raises StageFailed / ValueError with a message for the user."""
    if not cfg.is_local:
        raise ValueError("`run` is the local embedded pipeline: unset CAEC_MODE (or set CAEC_MODE=local)")
    if is_remote_uri(cfg.staging_uri):
        raise ValueError("`run` writes local staging data: point CAEC_STAGING_URI at a local path")
    if opts.input_uri and not is_remote_uri(opts.input_uri) and not local_path(opts.input_uri).exists():
        raise ValueError(f"--input {opts.input_uri}: no such file or directory")
    start, end = requested_window(opts)
    fmt = opts.input_format or cfg.input_format
    guessed = False
    if opts.input_uri and start is None and not is_remote_uri(opts.input_uri):
        source = local_path(opts.input_uri)
        if not has_day_folders(source):
            inferred = infer_window(source, fmt)
            if inferred is None:
                raise ValueError(
                    f"found no {fmt} timestamps in {opts.input_uri}: check --format, or pass --start and --end"
                )
            start, end = inferred
            guessed = True
    generating = opts.input_uri is None
    log_dir = cfg.logs_dir / time.strftime("run-%Y%m%dT%H%M%S")

    def say(text: str = "") -> None:
        out.write(text + "\n")
        out.flush()

    say("CAEC local run (embedded default: Spark local mode, dbt on DuckDB, dashboard as a file)")
    if generating:
        assert start is not None and end is not None
        say(
            f"  input: synthetic {fmt} logs, {opts.events:,} events over {(end - start).days} days from {start} (seed {opts.seed})"
        )
    else:
        window = f"{start} .. {end} (end exclusive)" if start else "taken from the data's dt= folders"
        if guessed:
            window += ", guessed from the first and last records (--start/--end to set it)"
        say(f"  input: {opts.input_uri} (format {fmt}), window {window}")
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
    try:
        start, end, dq, timings = _run_stages(
            outputs.build_config(cfg, plan), opts, (start, end), generating, log_dir, plan, say, out
        )
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
        start=start,
        end=end,
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


def _run_stages(
    cfg: PipelineConfig,
    opts: RunOptions,
    window: tuple[date | None, date | None],
    generating: bool,
    log_dir: Path,
    plan: outputs.OutputPlan,
    say: Callable[[str], None],
    out: TextIO,
) -> tuple[date, date, DQResult, dict[str, float]]:
    """The stages of one run, with ``cfg`` pointing at the build paths; returns window, verdict, timings."""
    start, end = window
    fmt = opts.input_format or cfg.input_format
    n_stages = 5 if generating else 4
    timings: dict[str, float] = {}
    stage_no = 0

    def run_stage(stage: Stage, detail: str) -> None:
        nonlocal stage_no
        stage_no += 1
        say(f"[{stage_no}/{n_stages}] {stage.title}: {detail}")
        seconds = execute(stage, log_dir, out)
        timings[stage.key] = seconds
        say(f"      done in {format_seconds(seconds)}")

    spark_env = steps.spark_env(cfg)
    if generating:
        assert start is not None and end is not None
        run_stage(
            Stage(
                "generate",
                "generate sample data",
                steps.generate_command(cfg, opts.events, opts.seed, start, (end - start).days),
                spark_env,
                cfg.repo_root,
            ),
            f"{opts.events:,} events -> {cfg.raw_uri}",
        )
    before = _manifest_names(cfg)
    run_stage(
        Stage(
            "sessionize",
            "sessionize",
            steps.sessionize_command(cfg, start, end, input_uri=opts.input_uri, input_format=fmt),
            spark_env,
            cfg.repo_root,
        ),
        f"Spark local mode -> {cfg.staging_uri}",
    )
    manifests = _new_manifests(cfg, before)
    if start is None or end is None:
        start, end = _window_of(manifests)
        say(f"      window from the data: {start} .. {end} (end exclusive)")
    manifests = select_manifests(manifests, start, end) or manifests
    # The gate's verdict is known now; a run whose input was mostly quarantined stops here with the
    # breakdown instead of failing in dbt with a misleading "no files" message.
    dq = evaluate_manifests(manifests, DQThresholds.from_config(cfg))
    stop = stop_reason(dq, opts.dq_gate)
    if stop:
        raise RunStopped(f"stopped after sessionize, before dbt: {stop}")
    cfg.duckdb_path.parent.mkdir(parents=True, exist_ok=True)  # DuckDB creates the file, not its folder
    run_stage(
        Stage(
            "dbt", "dbt build", steps.dbt_build_command(cfg, start, end), steps.dbt_env(cfg), cfg.repo_root
        ),
        f"models + tests on DuckDB -> {cfg.duckdb_path}",
    )
    dashboard_out = dict(plan.built).get(cfg.dashboard_path.resolve(), cfg.dashboard_path)
    run_stage(
        Stage(
            "dashboard",
            "dashboard",
            steps.dashboard_command(cfg, dashboard_out),
            steps.dashboard_env(cfg),
            cfg.repo_root,
        ),
        f"-> {dashboard_out}",
    )
    stage_no += 1
    say(f"[{stage_no}/{n_stages}] data-quality gate: manifests of {start} .. {end}")
    say("      " + dq.message.replace("\n", "\n      "))
    return start, end, dq, timings


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
        f"Summary  ({summary.start} .. {summary.end}, end exclusive; stages took {format_seconds(total_time)})",
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


def load_window_manifests(cfg: PipelineConfig, start: date, end: date) -> list[dict[str, Any]]:
    """Manifests for the DQ gate / publish commands (the DAG's local mode calls these)."""
    return load_manifests(cfg.staging_uri, start, end)
