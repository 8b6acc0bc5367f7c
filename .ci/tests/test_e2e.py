"""The kind end-to-end driver (.ci/e2e/e2e.py), checked offline: its --dry-run is the plan, compared with
the workflow that runs it and with the make targets it calls (`make -n`); the real-mode parts that need
no cluster (missing tools, polling, the output assertions on a real DuckDB file) run for real."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import e2e
import pytest
import yaml
from conftest import ROOT

WORKFLOW_TEMP = "/home/runner/work/_temp"


def e2e_job(workflows: dict[str, dict[str, Any]]) -> dict[str, Any]:
    job: dict[str, Any] = workflows["e2e-kind.yml"]["jobs"]["e2e"]
    return job


def step(job: dict[str, Any], run: str) -> dict[str, Any]:
    return next(s for s in job["steps"] if str(s.get("run", "")).strip() == run)


def step_env(s: dict[str, Any]) -> dict[str, str]:
    """A step's env as the driver sees it on the runner (${{ runner.temp }} filled in)."""
    return {k: str(v).replace("${{ runner.temp }}", WORKFLOW_TEMP) for k, v in s.get("env", {}).items()}


def dry_run(capsys: pytest.CaptureFixture[str], *args: str, **env: str) -> tuple[str, list[list[str]]]:
    """The dry run's output and the commands it shows, each as argv (annotations stripped)."""
    env.setdefault("IMAGE_TAG", "abc123")
    assert e2e.main(["--dry-run", *args], env=env) == 0
    out = capsys.readouterr().out
    commands = [
        shlex.split(re.sub(r"  \((in|timeout) [^)]*\)|  > \S+$", "", line.removeprefix("    $ ")))
        for line in out.splitlines()
        if line.startswith("    $ ")
    ]
    return out, commands


def make_n(argv: list[str]) -> str:
    """`make -n` of a `make -C ROOT target ...` command the dry run shows (make's jobserver left out)."""
    assert argv[:3] == ["make", "-C", str(ROOT)], argv
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    proc = subprocess.run(
        ["make", "-s", "-n", *argv[1:]], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


# ------------------------------------------------------------------------------------ workflow and make
def test_workflow_runs_make_e2e_kind_which_runs_the_driver(workflows: dict[str, dict[str, Any]]) -> None:
    job = e2e_job(workflows)
    runs = [str(s.get("run", "")).strip() for s in job["steps"] if "run" in s]
    assert runs == ["make e2e-kind", "python3 .ci/e2e/e2e.py --collect"], (
        "e2e-kind.yml must run exactly `make e2e-kind` (what users run), then only collect diagnostics"
    )
    kind = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("helm/kind-action@"))
    assert kind["with"]["install_only"] is True  # the driver creates the cluster, as on a laptop
    real = make_n(["make", "-C", str(ROOT), "e2e-kind"])
    assert f"{ROOT}/.ci/e2e/e2e.py" in real and "--dry-run" not in real
    assert f"{ROOT}/.ci/e2e/e2e.py --dry-run" in make_n(["make", "-C", str(ROOT), "e2e-kind-dry-run"])


def test_the_plan_reads_install_trigger_assert(capsys: pytest.CaptureFixture[str]) -> None:
    out, commands = dry_run(capsys)
    steps = [
        line.removeprefix("==> ").split(":")[0].split(" ")[0]
        for line in out.splitlines()
        if line.startswith("==> ")
    ]
    assert steps == [
        "tools",
        "generate",
        "build",
        "kind",
        "install",
        "trigger",
        "wait",
        "assert",
        "diagnostics",
        "clean",
    ]
    heads = [" ".join(c[:2]) if c[0] != "make" else f"make {c[3]}" for c in commands]
    assert heads[:12] == [
        "docker info",
        "kind version",
        "kubectl version",
        "make helm-tool",
        "make generate",
        "make images",
        "kind create",
        "kind load",
        "kind load",
        "kind load",
        "make helm-upgrade",
        "kubectl --context",
    ]
    assert commands[6][-2:] == ["--wait", "180s"]
    loads = {c[3] for c in commands if c[:3] == ["kind", "load", "docker-image"]}
    assert loads == {f"caec/{i}:abc123" for i in ("caec-spark", "caec-dbt", "caec-airflow")}
    assert "airflow dags test clickstream_daily 2026-01-15T00:00:00+00:00" in out
    assert "check-outputs --data-dir" in out
    assert commands[-1] == ["kind", "delete", "cluster", "--name", "caec-e2e"]


def test_every_make_command_of_the_plan_is_a_real_target(
    capsys: pytest.CaptureFixture[str], make_help: str
) -> None:
    _, commands = dry_run(capsys, HELM=str(ROOT / ".tools" / "bin" / "helm"))
    makes = [c for c in commands if c[0] == "make"]
    assert [c[3] for c in makes] == ["helm-tool", "generate", "images", "helm-upgrade"]
    for argv in makes:
        assert re.search(rf"^\s+{argv[3]}\s", make_help, re.M), argv[3]
        make_n(argv)  # make accepts the command line as shown
    generate = make_n(makes[1])
    assert "generate --events" in generate and '"20000"' in generate and "--days 1" in generate


def test_install_is_make_helm_upgrade_with_the_kind_values(
    capsys: pytest.CaptureFixture[str], workflows: dict[str, dict[str, Any]]
) -> None:
    """The three releases with the kind values on the kind context, each with the workflow's HELM_TIMEOUT."""
    env = step_env(step(e2e_job(workflows), "make e2e-kind"))
    _, commands = dry_run(capsys, HELM=str(ROOT / ".tools" / "bin" / "helm"), **env)
    (upgrade,) = [c for c in commands if c[:4] == ["make", "-C", str(ROOT), "helm-upgrade"]]
    recipe = make_n(upgrade)
    releases = re.findall(r"upgrade --install --kube-context kind-caec-e2e (\S+) ", recipe)
    assert releases == ["caec-platform", "spark-operator", "airflow"]
    assert recipe.count(f"--timeout {env['HELM_TIMEOUT']} ") == 3
    values = ROOT / "helm" / "values" / "caec-platform"
    assert f"-f {values}/kind.platform.yaml -f {values}/kind.yaml" in recipe
    assert "--image-tag abc123 --image-repo caec" in recipe


# ------------------------------------------------------------------------------------------ time budget
# Minutes of the driver's parts that have no limit of their own, on a 4-vCPU hosted runner with cold
# caches: venvs + tools + generate, three image builds, the three `kind load`s.
ALLOWANCES = {"setup_and_generate": 5, "images": 25, "image_loads": 5}


def plan_minutes(out: str, helm_timeout: str) -> float:
    """The dry run's own limits: command timeouts, polls, kind's --wait, helm's --wait per release."""
    seconds = sum(int(s) for s in re.findall(r"\((?:timeout|for up to) (\d+)s", out))
    seconds += sum(int(s) for s in re.findall(r"--wait (\d+)s", out))
    helm = float(helm_timeout[:-1]) * {"s": 1 / 60, "m": 1, "h": 60}[helm_timeout[-1]]
    return seconds / 60 + 3 * helm


def test_time_budget_ends_before_the_step_and_job_limits(
    capsys: pytest.CaptureFixture[str], workflows: dict[str, dict[str, Any]]
) -> None:
    """The driver's limits (diagnostics on failure included) fire before the step's, and the step's before
    the job's, so there is always time to collect and upload diagnostics (issue 15)."""
    job = e2e_job(workflows)
    run, collect = step(job, "make e2e-kind"), step(job, "python3 .ci/e2e/e2e.py --collect")
    env = step_env(run)
    out, _ = dry_run(capsys, **env)
    needed = sum(ALLOWANCES.values()) + plan_minutes(out, env["HELM_TIMEOUT"])
    assert needed <= run["timeout-minutes"], f"the driver may need {needed:.0f} min"
    collect_out, _ = dry_run(capsys, "--collect", **step_env(collect))
    assert plan_minutes(collect_out, "0m") <= collect["timeout-minutes"]
    upload_minutes = 3
    assert run["timeout-minutes"] + collect["timeout-minutes"] + upload_minutes <= job["timeout-minutes"]


def test_diagnostics_survive_failure_and_cancellation(
    capsys: pytest.CaptureFixture[str], workflows: dict[str, dict[str, Any]]
) -> None:
    """A job stopped by its time limit is *cancelled*: `if: failure()` alone would skip the upload exactly
    when the diagnostics matter most (issue 15). Everything --collect writes is under the uploaded path."""
    job = e2e_job(workflows)
    run, collect = step(job, "make e2e-kind"), step(job, "python3 .ci/e2e/e2e.py --collect")
    upload = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact@"))
    for s in (collect, upload):
        assert str(s["if"]).replace(" ", "") == "failure()||cancelled()", s.get("name")
    assert job["steps"].index(run) < job["steps"].index(collect) < job["steps"].index(upload)
    assert {k: collect["env"][k] for k in ("E2E_DIR", "E2E_CLUSTER")} == {
        k: run["env"][k] for k in ("E2E_DIR", "E2E_CLUSTER")
    }
    out, commands = dry_run(capsys, "--collect", **step_env(collect))
    uploaded = upload["with"]["path"].replace("${{ runner.temp }}", WORKFLOW_TEMP)
    targets = re.findall(r"> (\S+)$", out, re.M) + [
        c[3] for c in commands if c[:3] == ["kind", "export", "logs"]
    ]
    assert len(targets) == 7
    assert all(t.startswith(uploaded + "/") for t in targets), targets
    assert all("--context" in c and "kind-caec-e2e" in c for c in commands if c[0] == "kubectl")


# --------------------------------------------------------------------------------------- trigger modes
def test_scheduler_trigger_waits_for_the_parse_before_unpausing(capsys: pytest.CaptureFixture[str]) -> None:
    out, commands = dry_run(capsys, E2E_TRIGGER="scheduler", E2E_DAY="2026-02-03", E2E_PARSE_TIMEOUT="240")
    airflow = [
        " ".join(c[c.index("airflow") + 1 :]) for c in commands if "airflow" in c and c[0] == "kubectl"
    ]
    assert airflow[:4] == [
        "dags list -o plain",
        "dags unpause clickstream_daily",
        "dags trigger clickstream_daily --logical-date 2026-02-03T00:00:00+00:00 --run-id e2e__2026-02-03",
        "dags state clickstream_daily 2026-02-03T00:00:00+00:00",
    ]
    assert "poll every 15s (for up to 240s) until /\\bclickstream_daily\\b/" in out
    assert "poll every 15s (for up to 1500s) until /^success" in out


def test_bad_settings_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert e2e.main(["--dry-run"], env={"E2E_TRIGGER": "x"}) == 1
    assert "E2E_TRIGGER must be 'test' or 'scheduler'" in capsys.readouterr().err
    assert e2e.main(["--dry-run"], env={"E2E_TIMEOUT": "25m"}) == 1
    with pytest.raises(SystemExit):
        e2e.main(["--help"], env={})
    help_text = capsys.readouterr().out
    assert all(name in help_text for name in e2e.SETTINGS)


# ---------------------------------------------------------------------------- real mode without cluster
def test_missing_tools_stop_before_anything_is_built(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"E2E_DIR": str(tmp_path), "DOCKER": "docker-x", "KIND": "kind-x", "KUBECTL": "kubectl-x"}
    assert e2e.main([], env=env) == 3
    assert "missing prerequisites: docker-x kind-x kubectl-x" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_poll_runs_until_the_wanted_state(capsys: pytest.CaptureFixture[str]) -> None:
    r = e2e.Runner(dry_run=False)

    def say(*lines: str) -> list[str]:
        return [sys.executable, "-c", f"print({chr(10).join(lines)!r})"]

    assert r.poll(say("some log", "success"), want=r"^success\s*\Z", fail=r"^failed\s*\Z", timeout=5, every=1)
    with pytest.raises(e2e.E2EError, match="failed"):
        r.poll(say("success? no", "failed"), want=r"^success\s*\Z", fail=r"^failed\s*\Z", timeout=5, every=1)
    assert not r.poll(say("running"), want=r"^success\s*\Z", fail=None, timeout=2, every=1)
    hung = [sys.executable, "-c", "import time; time.sleep(30)"]
    assert not r.poll(hung, want="x", fail=None, timeout=2, every=1)  # the deadline ends a hung call
    assert "-> running" in capsys.readouterr().out


def test_kind_config_is_a_plain_file_mounting_the_data_dir(capsys: pytest.CaptureFixture[str]) -> None:
    """No placeholders: the relative hostPath is resolved by kind against the directory the driver runs
    it in ($E2E_DIR), and lands where the chart's kind hostPath volumes look."""
    text = e2e.KIND_CONFIG.read_text()
    assert "${" not in text and "{{" not in text
    config = yaml.safe_load(text)
    assert config["kind"] == "Cluster" and config["apiVersion"] == "kind.x-k8s.io/v1alpha4"
    (node,) = config["nodes"]  # hostPath volumes are shared only on a single node
    (mount,) = node["extraMounts"]
    values = yaml.safe_load((ROOT / "helm" / "values" / "caec-platform" / "kind.yaml").read_text())
    assert mount["containerPath"] == values["pipeline"]["sharedVolume"]["hostPath"]
    out, _ = dry_run(capsys, E2E_DIR="/tmp/e2e-here")
    (create,) = [line for line in out.splitlines() if "kind create cluster" in line]
    assert f"--config {e2e.KIND_CONFIG} " in create and create.endswith("(in /tmp/e2e-here)")
    assert (
        Path("/tmp/e2e-here") / mount["hostPath"] == e2e.Settings(env={"E2E_DIR": "/tmp/e2e-here"}).data_dir
    )


def test_generated_day(tmp_path: Path) -> None:
    with pytest.raises(e2e.E2EError, match="did the generator run"):
        e2e.generated_day(tmp_path / "raw")
    (tmp_path / "raw" / "dt=2026-03-04").mkdir(parents=True)
    (tmp_path / "raw" / "_SUCCESS").mkdir()
    assert e2e.generated_day(tmp_path / "raw") == "2026-03-04"


# ------------------------------------------------------------------------------------------ the outputs
GOOD_COUNTS = {"read": 10, "valid": 8, "quarantined": 1, "filtered": 1, "human": 6, "bot": 2}


def test_manifest_invariants() -> None:
    assert e2e.manifest_problems({"reconciled": True, "counts": GOOD_COUNTS}) == []
    broken = {**GOOD_COUNTS, "filtered": 0}
    assert any("read 10" in p for p in e2e.manifest_problems({"reconciled": True, "counts": broken}))
    bots = {**GOOD_COUNTS, "bot": 1}
    assert any("human + bot" in p for p in e2e.manifest_problems({"reconciled": True, "counts": bots}))
    assert e2e.manifest_problems({"reconciled": False, "counts": GOOD_COUNTS}) == [
        "manifest says reconciled != true"
    ]
    assert any("lack" in p for p in e2e.manifest_problems({"reconciled": True, "counts": {}}))


def write_run(data: Path, day: str, marts: dict[str, int]) -> None:
    manifests = data / "staging" / "manifests"
    manifests.mkdir(parents=True)
    manifest = {
        "run_id": "r1",
        "window": {"start": day, "end": day},
        "counts": GOOD_COUNTS,
        "reconciled": True,
    }
    (manifests / "run_id=r1.json").write_text(json.dumps(manifest))
    (data / "warehouse").mkdir()
    con = duckdb.connect(str(data / "warehouse" / "caec.duckdb"))
    con.execute("create schema caec_local_marts")
    for table, rows in marts.items():
        con.execute(f"create table caec_local_marts.{table} as select range as x from range({rows})")
    con.close()


def check_outputs(data: Path, day: str) -> int:
    return e2e.main(["check-outputs", "--data-dir", str(data), "--day", day], env={})


def test_outputs_pass_on_a_good_run(tmp_path: Path) -> None:
    write_run(tmp_path, "2026-01-15", {"fct_sessions": 5, "agg_daily_traffic": 1})
    assert e2e.output_problems(tmp_path, "2026-01-15") == []
    assert check_outputs(tmp_path, "2026-01-15") == 0


def test_outputs_fail_on_an_empty_mart(tmp_path: Path) -> None:
    write_run(tmp_path, "2026-01-15", {"fct_sessions": 5, "agg_daily_traffic": 0})
    assert e2e.output_problems(tmp_path, "2026-01-15") == ["mart caec_local_marts.agg_daily_traffic is empty"]
    assert check_outputs(tmp_path, "2026-01-15") == 1


def test_outputs_fail_without_marts_or_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_run(tmp_path, "2026-01-15", {})
    assert e2e.output_problems(tmp_path, "2026-01-15") == [
        "no mart tables found (schemas matching '%marts%')"
    ]
    assert check_outputs(tmp_path, "2026-02-01") == 1
    assert "no run manifest covering 2026-02-01" in capsys.readouterr().err


def test_duckdb_pin_matches_dbt() -> None:
    """The assertions open the warehouse dbt wrote: same DuckDB release as dbt/ (storage format)."""
    pin = re.compile(r"^duckdb==(\S+)", re.M)
    ours = pin.search((ROOT / ".ci" / "requirements.lock").read_text())
    theirs = pin.search((ROOT / "dbt" / "requirements.lock").read_text())
    assert ours and theirs and ours.group(1) == theirs.group(1)
