"""The kind end-to-end script: its --dry-run (steps printed, manifests rendered and validated) and its
prerequisite check, which must fail clearly on a machine without docker/kind/kubectl/helm."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import ROOT

SCRIPT = ROOT / ".ci" / "e2e" / "e2e-kind.sh"


def helm_binary() -> str:
    """The pinned helm `make test-ci` installs (helm/helm.mk's helm-tool), or HELM from the caller."""
    helm = os.environ.get("CAEC_HELM") or str(ROOT / ".tools" / "bin" / "helm")
    assert Path(helm).is_file(), f"helm not found at {helm}: run the tests through `make test-ci`"
    return helm


def run_script(
    *args: str, env_extra: dict[str, str] | None = None, path: str | None = None, tmp: Path
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "E2E_"))}
    env.update({"PYTHON": sys.executable, "E2E_DIR": str(tmp / "e2e"), "IMAGE_TAG": "abc123"})
    env["HELM"] = helm_binary()
    if path is not None:
        env["PATH"] = path
    env.update(env_extra or {})
    return subprocess.run(
        ["bash", str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=110, check=False
    )


def test_dry_run_prints_every_step_and_validates(tmp_path: Path) -> None:
    result = run_script("--dry-run", tmp=tmp_path)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    for n in range(1, 11):
        assert f"==> [{n}/10]" in out
    assert "objects valid (Kubernetes 1.35.0)" in out
    # the platform chart rendered with the kind values agrees with the claim and mount the script makes
    assert "caec-pipeline-config: kubernetes mode on claim caec-data, dbt on DuckDB" in out
    assert "accepted by caec_pipeline.PipelineConfig" in out  # the DAG's own config validation
    for expected in (
        "make -C " + str(ROOT) + " generate",
        "make -C " + str(ROOT) + " images IMAGE_REPO=caec IMAGE_TAG=abc123",
        "kind create cluster --name caec-e2e --config",
        "kind load docker-image caec/caec-spark:abc123 --name caec-e2e",
        "kind load docker-image caec/caec-dbt:abc123",
        "kind load docker-image caec/caec-airflow:abc123",
        "helm-upgrade ENV=kind",
        "airflow dags test clickstream_daily 2026-01-15T00:00:00+00:00",
        "e2e_tool.py check-outputs",
    ):
        assert expected in out, expected
    assert "dry run complete" in out
    rendered = tmp_path / "e2e" / "rendered"
    cluster = yaml.safe_load((rendered / "kind-cluster.yaml").read_text())
    assert cluster["nodes"][0]["extraMounts"][0]["hostPath"] == str(tmp_path / "e2e" / "data")
    # nothing was built or generated: the dry run leaves no raw data
    assert not (tmp_path / "e2e" / "data" / "raw").exists()


def test_dry_run_scheduler_trigger(tmp_path: Path) -> None:
    # without helm the chart rendering is skipped with a message (the test above covers it)
    extra = {"E2E_TRIGGER": "scheduler", "E2E_DAY": "2026-02-03", "HELM": str(tmp_path / "no-helm")}
    result = run_script("--dry-run", env_extra=extra, tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "skipped rendering the kind releases" in result.stdout
    assert "dags trigger clickstream_daily --logical-date 2026-02-03T00:00:00+00:00" in result.stdout


def test_missing_prerequisites_fail_clearly(tmp_path: Path) -> None:
    """No docker/kind/kubectl/helm on PATH: exit 3 naming each, before anything is built."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "git", "dirname", "date", "make", "printf"):
        found = subprocess.run(
            ["bash", "-c", f"command -v {tool}"], capture_output=True, text=True
        ).stdout.strip()
        if found.startswith("/"):
            (bin_dir / tool).symlink_to(found)
    result = run_script(
        path=str(bin_dir),
        tmp=tmp_path,
        env_extra={"DOCKER": "docker-x", "KIND": "kind-x", "KUBECTL": "kubectl-x", "HELM": "helm-x"},
    )
    assert result.returncode == 3, result.stdout + result.stderr
    assert "missing prerequisites: docker-x kind-x kubectl-x helm-x" in result.stderr
    assert "==> [2/10]" not in result.stdout


def test_bad_arguments(tmp_path: Path) -> None:
    assert run_script("--nope", tmp=tmp_path).returncode == 2
    assert run_script(env_extra={"E2E_TRIGGER": "x"}, tmp=tmp_path).returncode == 2
    help_run = run_script("--help", tmp=tmp_path)
    assert help_run.returncode == 0 and "--dry-run" in help_run.stdout


def test_make_e2e_kind_runs_the_script() -> None:
    """`make e2e-kind` is the script itself (make -n shows the recipe without running it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    out = subprocess.run(
        ["make", "-n", "-C", str(ROOT), "e2e-kind", "E2E_ARGS=--keep"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    ).stdout
    assert f"bash {ROOT}/.ci/e2e/e2e-kind.sh --keep" in out
