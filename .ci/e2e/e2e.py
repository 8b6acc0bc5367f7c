"""CAEC end to end on kind: install, trigger, assert. What `make e2e-kind` and .github/workflows/e2e-kind.yml run.

  tools -> generate one day -> build images -> kind cluster -> load images -> `make helm-upgrade ENV=kind`
  -> clickstream_daily for that day in kubernetes mode (SparkApplication on the operator, dbt in pods on
  DuckDB, data on the chart's hostPath claim) -> wait for the run -> assert the run manifest reconciles
  and every mart has rows. On failure (or SIGINT/SIGTERM) diagnostics go to $E2E_DIR/diagnostics.

`--dry-run` walks the same code and prints every command instead of running it (no Docker needed):
the tests in .ci/tests check that output against the workflow and the make targets. Stdlib only,
except `check-outputs`, which opens the DuckDB warehouse. Settings: `--help`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parents[2]
KIND_CONFIG = ROOT / ".ci" / "e2e" / "kind-cluster.yaml"
DAG_ID = "clickstream_daily"
AIRFLOW_NS = "caec-airflow"
IMAGES = ("caec-spark", "caec-dbt", "caec-airflow")
DAY_DIR = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")
# Settings: environment variable -> (default, help). `make e2e-kind` and the workflow set them.
SETTINGS: dict[str, tuple[str, str]] = {
    "E2E_CLUSTER": ("caec-e2e", "kind cluster name"),
    "E2E_DIR": (str(ROOT / ".out" / "e2e"), "work directory: data/ (mounted into kind), diagnostics/"),
    "E2E_EVENTS": ("20000", "synthetic events generated for the day"),
    "E2E_DAY": ("2026-01-15", "the day a --dry-run shows (a real run uses the generated day)"),
    "E2E_TIMEOUT": ("1500", "seconds the DAG run may take"),
    "E2E_PARSE_TIMEOUT": ("300", "seconds to wait for the DAG to be parsed (scheduler trigger)"),
    "E2E_POLL_SECONDS": ("15", "seconds between polls"),
    "E2E_TRIGGER": ("test", "'test': airflow dags test in the scheduler pod; 'scheduler': unpause + trigger"),
    "HELM_TIMEOUT": ("15m", "limit of each release's helm --wait (make helm-upgrade)"),
    "KIND_NODE_IMAGE": ("kindest/node:v1.35.0", "kind node image"),
    "IMAGE_REPO": ("caec", "image repository prefix loaded into kind"),
    "IMAGE_TAG": ("", "image tag"),
    "HELM": ("helm", "helm binary (make e2e-kind passes the pinned one)"),
    "KIND": ("kind", "kind binary"),
    "KUBECTL": ("kubectl", "kubectl binary"),
    "DOCKER": ("docker", "docker binary"),
}


class E2EError(Exception):
    """A step failed; the message names the problem and the fix."""


class MissingTools(E2EError):
    """Prerequisites absent: nothing was built or created."""


@dataclass(frozen=True)
class Settings:
    env: Mapping[str, str]
    keep: bool = False

    def __getitem__(self, key: str) -> str:
        return self.env.get(key) or SETTINGS[key][0]

    def seconds(self, key: str) -> int:
        value = self[key]
        if not value.isdigit():
            raise E2EError(f"{key} must be a whole number of seconds, got {value!r}")
        return int(value)

    @property
    def data_dir(self) -> Path:
        return Path(self["E2E_DIR"]).resolve() / "data"

    @property
    def diag_dir(self) -> Path:
        return Path(self["E2E_DIR"]).resolve() / "diagnostics"

    @property
    def context(self) -> str:
        return f"kind-{self['E2E_CLUSTER']}"

    @cached_property
    def image_tag(self) -> str:
        if self.env.get("IMAGE_TAG"):
            return self.env["IMAGE_TAG"]
        sha = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True
        )
        return sha.stdout.strip() or "dev"


@dataclass
class Runner:
    """Runs commands, or with dry_run prints them: the same lines either way, so the dry run is the plan."""

    dry_run: bool
    out: TextIO | None = None  # None: sys.stdout at the time of printing

    def say(self, text: str) -> None:
        print(text, file=self.out or sys.stdout, flush=True)

    def step(self, title: str) -> None:
        self.say(f"\n==> {title}")

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        timeout: int | None = None,
        to_file: Path | None = None,
        check: bool = True,
        capture: bool = False,
    ) -> str:
        """Run argv; stdout is returned (capture), written to to_file, or shown. A dry run returns ''."""
        line = "    $ " + shlex.join(argv)
        line += f"  (in {cwd})" if cwd else ""
        line += f"  (timeout {timeout}s)" if timeout else ""
        line += f"  > {to_file}" if to_file else ""
        self.say(line)
        if self.dry_run:
            return ""
        try:
            if to_file is not None:
                with to_file.open("wb") as fh:  # bytes: the task logs are a .tgz, kept free of stderr
                    err = subprocess.DEVNULL if to_file.suffix == ".tgz" else fh
                    proc = subprocess.run(argv, cwd=cwd, timeout=timeout, stdout=fh, stderr=err, text=True)
            else:
                proc = subprocess.run(argv, cwd=cwd, timeout=timeout, capture_output=capture, text=True)
        except FileNotFoundError as exc:
            raise E2EError(f"{argv[0]} not found on PATH") from exc
        except subprocess.TimeoutExpired as exc:
            if check:
                raise E2EError(f"{shlex.join(argv)} did not finish within {timeout}s") from exc
            self.say(f"      (stopped after {timeout}s)")  # diagnostics and polls go on
            return ""
        if check and proc.returncode != 0:
            raise E2EError(f"exit {proc.returncode}: {shlex.join(argv)}")
        return (proc.stdout or "") if capture else ""

    def poll(self, argv: Sequence[str], *, want: str, fail: str | None, timeout: int, every: int) -> bool:
        """Re-run argv every `every` s until its output matches `want` (True) or `fail` (E2EError), or
        `timeout` s have passed (False); no call runs past the deadline (a kubectl exec can hang)."""
        self.say(f"    poll every {every}s (for up to {timeout}s) until /{want}/:")
        if self.dry_run:
            self.run(argv)
            return True
        deadline = time.monotonic() + timeout
        while (left := int(deadline - time.monotonic())) > 0:
            output = self.run(
                argv, timeout=left, check=False, capture=True
            )  # a hung call ends at the deadline
            self.say(f"      -> {(output.strip().splitlines() or ['(no output)'])[-1]}")
            if re.search(want, output, re.M):
                return True
            if fail and re.search(fail, output, re.M):
                raise E2EError(f"{shlex.join(argv[-4:])}: {output.strip().splitlines()[-1]}")
            time.sleep(max(0, min(every, deadline - time.monotonic())))
        return False


# ------------------------------------------------------------------------------------------------ steps
def tools(r: Runner, s: Settings) -> None:
    r.step("tools: docker (engine running), kind, kubectl; the pinned helm (make helm-tool)")
    missing = [t for t in (s["DOCKER"], s["KIND"], s["KUBECTL"]) if shutil.which(t) is None]
    if importlib.util.find_spec("duckdb") is None:  # check-outputs opens the warehouse
        missing.append(f"duckdb for {sys.executable} (run through `make e2e-kind`, which uses .venv/ci)")
    if missing and not r.dry_run:
        raise MissingTools(
            f"missing prerequisites: {' '.join(missing)}. Install Docker, kind (>= v0.31) and kubectl, "
            "or run with --dry-run to see the plan without them (docs/ci.md)"
        )
    r.run([s["DOCKER"], "info", "--format", "{{.ServerVersion}}"])
    r.run([s["KIND"], "version"])
    r.run([s["KUBECTL"], "version", "--client"])
    r.run(["make", "-C", str(ROOT), "helm-tool", f"HELM={s['HELM']}"])


def generate(r: Runner, s: Settings) -> str:
    """One day of synthetic raw clickstream under data/raw; returns that day."""
    data = s.data_dir
    r.step(f"generate {s['E2E_EVENTS']} events of one day into {data}/raw")
    r.say(f"    # empty {data} (a kept cluster mounts it), then make it writable by the pods' users")
    if not r.dry_run:
        prepare_data_dir(data)
    args = [f"EVENTS={s['E2E_EVENTS']}", "FORMAT=jsonl", "SEED=7", f"OUT={data}/raw", "ARGS=--days 1"]
    r.run(["make", "-C", str(ROOT), "generate", *args])
    day = s["E2E_DAY"] if r.dry_run else generated_day(data / "raw")
    if not r.dry_run:
        make_writable(data)
    r.say(f"    day: {day}")
    return day


def prepare_data_dir(data: Path) -> None:
    data.mkdir(parents=True, exist_ok=True)
    try:
        for child in data.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    except PermissionError as exc:
        raise E2EError(
            f"cannot empty {data} (a previous run's pods wrote it as other users): "
            f"sudo find {data} -mindepth 1 -delete, or set E2E_DIR to a new directory"
        ) from exc


def make_writable(data: Path) -> None:
    """Pods run as different non-root users (spark, dbt, airflow) and a hostPath volume ignores fsGroup:
    the directories they write are made writable by all. Fine for a throwaway test directory only."""
    for sub in ("staging/manifests", "staging/quarantine", "warehouse"):
        (data / sub).mkdir(parents=True, exist_ok=True)
    for path in [data, *data.rglob("*")]:
        path.chmod(0o777 if path.is_dir() else 0o666)


def generated_day(raw: Path) -> str:
    """The one day the generator wrote (raw layout `<raw>/dt=YYYY-MM-DD/`, docs/platform-names.md)."""
    days = sorted(m.group(1) for p in raw.glob("dt=*") if (m := DAY_DIR.match(p.name)) and p.is_dir())
    if not days:
        raise E2EError(f"no dt=YYYY-MM-DD partitions under {raw}: did the generator run?")
    return days[0]


def images(r: Runner, s: Settings) -> None:
    r.step(f"build the images {', '.join(IMAGES)}")
    r.run(["make", "-C", str(ROOT), "images", f"IMAGE_REPO={s['IMAGE_REPO']}", f"IMAGE_TAG={s.image_tag}"])


def cluster(r: Runner, s: Settings) -> None:
    name = s["E2E_CLUSTER"]
    r.step(f"kind cluster {name} ({KIND_CONFIG.name}: {s.data_dir} mounted at /caec-data on the node)")
    if not r.dry_run and name in r.run([s["KIND"], "get", "clusters"], capture=True).split():
        r.say(f"    reusing the existing cluster (delete it with: {s['KIND']} delete cluster --name {name})")
    else:
        cfg = ["--config", str(KIND_CONFIG), "--image", s["KIND_NODE_IMAGE"], "--wait", "180s"]
        r.run([s["KIND"], "create", "cluster", "--name", name, *cfg], cwd=s.data_dir.parent)
    for image in IMAGES:
        r.run([s["KIND"], "load", "docker-image", f"{s['IMAGE_REPO']}/{image}:{s.image_tag}", "--name", name])


def install(r: Runner, s: Settings) -> None:
    r.step(
        "install: caec-platform (namespaces, hostPath claims), Spark Operator, Airflow with the kind values"
    )
    images = [f"IMAGE_REPO={s['IMAGE_REPO']}", f"IMAGE_TAG={s.image_tag}"]
    cluster = [f"HELM={s['HELM']}", f"KUBE_CONTEXT={s.context}", f"HELM_TIMEOUT={s['HELM_TIMEOUT']}"]
    r.run(["make", "-C", str(ROOT), "helm-upgrade", "ENV=kind", *cluster, *images])


def in_scheduler(s: Settings, *command: str) -> list[str]:
    """`kubectl exec` of a command in the Airflow scheduler pod."""
    exec_ = ["exec", "deploy/airflow-scheduler", "-c", "scheduler", "--"]
    return [s["KUBECTL"], "--context", s.context, "-n", AIRFLOW_NS, *exec_, *command]


def airflow(s: Settings, *args: str) -> list[str]:
    return in_scheduler(s, "airflow", *args)


def trigger(r: Runner, s: Settings, day: str) -> None:
    logical = f"{day}T00:00:00+00:00"
    mode = s["E2E_TRIGGER"]
    r.step(f"trigger {DAG_ID} for {day} (E2E_TRIGGER={mode})")
    every = s.seconds("E2E_POLL_SECONDS")
    if mode == "test":
        # Airflow's own runner in the scheduler pod, every task the real operator: the SparkApplication
        # goes to the Spark Operator, dbt runs in pods in caec-jobs.
        r.run(airflow(s, "dags", "test", DAG_ID, logical), timeout=s.seconds("E2E_TIMEOUT"))
        state_timeout = 2 * every  # the run has ended: its state is there at once
    else:
        # The dag-processor parses the file some time after the pods are ready; `dags unpause` of a DAG
        # not yet in the database fails.
        parse_timeout = s.seconds("E2E_PARSE_TIMEOUT")
        list_dags = airflow(s, "dags", "list", "-o", "plain")
        if not r.poll(list_dags, want=rf"\b{DAG_ID}\b", fail=None, timeout=parse_timeout, every=every):
            r.run(airflow(s, "dags", "list-import-errors"), check=False)
            raise E2EError(f"{DAG_ID} was not parsed within {parse_timeout}s (import errors above)")
        r.run(airflow(s, "dags", "unpause", DAG_ID))
        r.run(airflow(s, "dags", "trigger", DAG_ID, "--logical-date", logical, "--run-id", f"e2e__{day}"))
        state_timeout = s.seconds("E2E_TIMEOUT")
    r.step(f"wait for the run of {day} to succeed")
    state = airflow(s, "dags", "state", DAG_ID, logical)
    if not r.poll(state, want=r"^success\s*\Z", fail=r"^failed\s*\Z", timeout=state_timeout, every=every):
        raise E2EError(f"the {DAG_ID} run of {day} did not succeed within {state_timeout}s")


def check(r: Runner, s: Settings, day: str) -> None:
    r.step("assert: the run manifest reconciles and every mart has rows")
    r.run([sys.executable, str(Path(__file__)), "check-outputs", "--data-dir", str(s.data_dir), "--day", day])


def collect(r: Runner, s: Settings) -> None:
    """Diagnostics of the cluster into $E2E_DIR/diagnostics; every command may fail (check=False)."""
    diag = s.diag_dir
    r.step(f"diagnostics into {diag}")
    if not r.dry_run:
        diag.mkdir(parents=True, exist_ok=True)
    kubectl = [s["KUBECTL"], "--context", s.context]
    # Every pod's log (previous containers included) and the node's kubelet/containerd logs.
    export = [s["KIND"], "export", "logs", str(diag / "kind-logs"), "--name", s["E2E_CLUSTER"]]
    r.run(export, check=False, timeout=60)
    listings = {
        "resources.txt": ["get", "all,pvc,pv,configmaps,serviceaccounts", "-A", "-o", "wide"],
        "events.txt": ["get", "events", "-A", "--sort-by=.lastTimestamp"],
        "pods-describe.txt": ["describe", "pods", "-A"],
        "sparkapplications.yaml": ["get", "sparkapplications", "-A", "-o", "yaml"],
        "sparkapplications-describe.txt": ["describe", "sparkapplications", "-A"],
    }
    for name, args in listings.items():
        r.run([*kubectl, *args], to_file=diag / name, check=False, timeout=30)
    # Airflow's task logs carry the Spark driver log the operator streams and dbt's output (the task
    # pods themselves are gone when their task ends).
    tar = in_scheduler(s, "tar", "-C", "/opt/airflow/logs", "-czf", "-", ".")
    r.run(tar, to_file=diag / "airflow-task-logs.tgz", check=False, timeout=60)
    r.say(f"    # copy {s.data_dir}/staging/manifests to {diag}/run-manifests")
    if not r.dry_run and (s.data_dir / "staging" / "manifests").is_dir():
        shutil.copytree(s.data_dir / "staging" / "manifests", diag / "run-manifests", dirs_exist_ok=True)


def e2e(r: Runner, s: Settings) -> None:
    """The whole run; diagnostics on failure once a cluster may exist, clean-up after success."""
    if s["E2E_TRIGGER"] not in ("test", "scheduler"):
        raise E2EError(f"E2E_TRIGGER must be 'test' or 'scheduler', got {s['E2E_TRIGGER']!r}")
    started = time.monotonic()
    tools(r, s)
    day = generate(r, s)
    images(r, s)
    try:
        cluster(r, s)
        install(r, s)
        trigger(r, s, day)
        check(r, s, day)
    except BaseException:
        if not r.dry_run:
            collect(r, s)
            r.say(f"e2e: cluster kept for debugging: {s['KIND']} delete cluster --name {s['E2E_CLUSTER']}")
        raise
    if r.dry_run:
        r.say("\n(on failure or cancellation, from here on)")
        collect(r, s)
    r.step("clean up" + (" (skipped: --keep)" if s.keep else ""))
    if not s.keep:
        r.run([s["KIND"], "delete", "cluster", "--name", s["E2E_CLUSTER"]])
    r.say(
        f"\ne2e: {'dry run complete' if r.dry_run else 'passed'} in {time.monotonic() - started:.0f}s (day {day})"
    )


# ---------------------------------------------------------------------------------------------- outputs
def manifest_problems(manifest: Mapping[str, Any]) -> list[str]:
    """Reconciliation invariants of docs/data-contract.md, checked again outside the job."""
    counts = manifest.get("counts") or {}
    problems: list[str] = []
    if manifest.get("reconciled") is not True:
        problems.append("manifest says reconciled != true")
    try:
        read, valid = int(counts["read"]), int(counts["valid"])
        if read != valid + int(counts["quarantined"]) + int(counts["filtered"]):
            problems.append(f"read {read} != valid + quarantined + filtered ({counts})")
        if valid != int(counts["human"]) + int(counts["bot"]):
            problems.append(f"valid {valid} != human + bot ({counts})")
        if read == 0:
            problems.append("the run read 0 records: the generated day did not reach the job")
    except KeyError as exc:
        problems.append(f"manifest counts lack {exc.args[0]!r}")
    return problems


def find_manifest(staging: Path, day: str) -> dict[str, Any]:
    """The newest manifest whose window covers `day` (re-runs leave older manifests beside it)."""
    files = sorted((staging / "manifests").glob("run_id=*.json"), key=lambda p: p.stat().st_mtime)
    covering = []
    for path in files:
        manifest = json.loads(path.read_text())
        window = manifest.get("window") or {}
        if window.get("start", day) <= day <= window.get("end", day):
            covering.append(manifest)
    if not covering:
        raise E2EError(f"no run manifest covering {day} under {staging / 'manifests'}")
    return covering[-1]


def mart_row_counts(duckdb_path: Path) -> dict[str, int]:
    """Row count of every table/view in a schema whose name contains 'marts'."""
    import duckdb  # the .ci venv has it; the rest of the driver is stdlib only

    if not duckdb_path.is_file():
        raise E2EError(f"no DuckDB warehouse at {duckdb_path}: did the dbt pods run?")
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema like '%marts%' order by 1, 2"
        ).fetchall()
        counts: dict[str, int] = {}
        for schema, table in tables:
            row = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
            counts[f"{schema}.{table}"] = int(row[0]) if row else 0
        return counts
    finally:
        con.close()


def output_problems(data_dir: Path, day: str) -> list[str]:
    """Everything wrong with what the pipeline left on the shared volume for `day`."""
    problems = manifest_problems(find_manifest(data_dir / "staging", day))
    counts = mart_row_counts(data_dir / "warehouse" / "caec.duckdb")
    if not counts:
        problems.append("no mart tables found (schemas matching '%marts%')")
    return problems + [f"mart {name} is empty" for name, n in counts.items() if n == 0]


# -------------------------------------------------------------------------------------------------- cli
def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    settings = "\n".join(f"  {k:<18} {h} [{d or 'git sha, short'}]" for k, (d, h) in SETTINGS.items())
    parser = argparse.ArgumentParser(
        prog=".ci/e2e/e2e.py",
        description=(__doc__ or "").split("\n\n")[0],
        epilog="settings (environment variables, defaults in brackets):\n" + settings,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--dry-run", action="store_true", help="print every command, run none")
    parser.add_argument("--keep", action="store_true", help="keep the cluster after success")
    parser.add_argument(
        "--collect", action="store_true", help="only write the diagnostics of an existing cluster (CI)"
    )
    sub = parser.add_subparsers(dest="cmd")
    p = sub.add_parser("check-outputs", help="assert the run manifest reconciles and the marts have rows")
    p.add_argument("--data-dir", type=Path, required=True)
    p.add_argument("--day", required=True)
    return parser.parse_args(argv)


def _terminate(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # a cancelled CI job: unwind so diagnostics are collected


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = parse_args(argv)
    s = Settings(env=os.environ if env is None else env, keep=args.keep)
    r = Runner(dry_run=args.dry_run)
    try:
        if args.cmd == "check-outputs":
            problems = output_problems(args.data_dir, args.day)
            for problem in problems:
                print(f"e2e: {problem}", file=sys.stderr)
            if not problems:
                print(f"ok: the manifest for {args.day} reconciles and every mart has rows")
            return 1 if problems else 0
        if args.collect:
            if (
                args.dry_run
                or s["E2E_CLUSTER"] in r.run([s["KIND"], "get", "clusters"], capture=True).split()
            ):
                collect(r, s)
            else:
                r.say(f"e2e: no kind cluster {s['E2E_CLUSTER']!r}: nothing to collect")
            return 0
        if args.dry_run:
            r.say("e2e: DRY RUN (nothing is built, created or applied)")
        e2e(r, s)
    except MissingTools as exc:
        print(f"e2e: {exc}", file=sys.stderr)
        return 3
    except E2EError as exc:
        print(f"e2e: FAILED: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("e2e: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    raise SystemExit(main())
