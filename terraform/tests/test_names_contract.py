"""One source of truth for names: modules/names -> Helm values -> docs -> DAG config defaults."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import platform_values
import pytest
import yaml
from tfcontract import ENVS, MODULES_DIR, PLATFORM_KEYS, REPO_ROOT, evaluate_names, terraform_binary

DOC = REPO_ROOT / "docs" / "platform-names.md"
PIPELINE_CONFIG = REPO_ROOT / "airflow" / "pipeline" / "src" / "caec_pipeline" / "config.py"


def doc_platform_example() -> dict[str, Any]:
    """The `platform:` YAML example of docs/platform-names.md."""
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    examples = [yaml.safe_load(b) for b in blocks if b.lstrip().startswith("platform:")]
    assert len(examples) == 1, "docs/platform-names.md should have exactly one platform example"
    platform: dict[str, Any] = examples[0]["platform"]
    return platform


@pytest.mark.parametrize("env", ENVS)
def test_committed_platform_values_match_terraform(env: str) -> None:
    path = platform_values.values_path(env)
    assert path.is_file(), f"{path} is missing: run `make platform-values ENV={env}`"
    assert path.read_text(encoding="utf-8") == platform_values.render(env), (
        f"{path.name} drifted from terraform/modules/names + envs/{env}/terraform.tfvars: "
        f"run `make platform-values ENV={env}` and commit"
    )


@pytest.mark.parametrize("env", ENVS)
def test_values_file_is_the_contract_shape(env: str, env_outputs: dict[str, dict[str, Any]]) -> None:
    values = yaml.safe_load(platform_values.values_path(env).read_text(encoding="utf-8"))
    assert list(values) == ["platform"]
    assert tuple(values["platform"]) == PLATFORM_KEYS
    assert values["platform"] == env_outputs[env]["platform"]
    assert values["platform"]["env"] == env


def test_docs_example_is_what_the_names_module_derives() -> None:
    """The example in docs/platform-names.md is exactly the module's output for its sample inputs."""
    example = doc_platform_example()
    derived = evaluate_names(
        {
            "project_id": example["projectId"],
            "region": example["region"],
            "env": example["env"],
            "bigquery_location": example["bigqueryLocation"],
            "retention_days": example["retentionDays"],
        }
    )["platform"]
    assert derived == example
    # The example is dev's: its days are dev's one statement, not numbers of their own.
    assert example["retentionDays"] == literal_retention("dev")


def test_example_values_file_has_devs_retention() -> None:
    """helm/values/caec-platform/example.platform.yaml mirrors dev: same days as envs/dev/terraform.tfvars."""
    example = yaml.safe_load(platform_values.values_path("example").read_text(encoding="utf-8"))
    assert example["platform"]["env"] == "dev"
    assert example["platform"]["retentionDays"] == literal_retention("dev")


def test_names_differ_between_envs(env_outputs: dict[str, dict[str, Any]]) -> None:
    dev, prod = (env_outputs[e]["platform"] for e in ("dev", "prod"))
    assert set(dev["buckets"].values()).isdisjoint(prod["buckets"].values())
    assert set(dev["datasets"].values()).isdisjoint(prod["datasets"].values())


SPARK_TOLERATION = {"key": "caec.io/pool", "operator": "Equal", "value": "spark", "effect": "NoSchedule"}


@pytest.mark.parametrize("env", ENVS)
def test_spark_pool_placement_is_in_the_platform_object(
    env: str, env_outputs: dict[str, dict[str, Any]]
) -> None:
    """The Spark pool's selector and toleration reach the values file (-> CAEC_SPARK_* -> the pods)."""
    pool = env_outputs[env]["platform"].get("sparkPool")
    assert pool, "modules/names lost platform.sparkPool: Spark pods would never reach the Spark pool"
    assert pool == env_outputs[env]["spark_pool"]
    assert pool["nodeSelector"] == {"caec.io/pool": "spark"}
    assert pool["tolerations"] == [SPARK_TOLERATION]
    values = yaml.safe_load(platform_values.values_path(env).read_text(encoding="utf-8"))
    assert values["platform"]["sparkPool"] == pool


def test_spark_pool_placement_has_one_definition() -> None:
    """modules/names defines the pool's label and taint; modules/gke applies them (no second literal),
    and modules/platform checks what the pool got against the names (check block via local.platform)."""
    gke = (MODULES_DIR / "gke" / "main.tf").read_text(encoding="utf-8")
    assert "labels          = merge(var.labels, var.spark_pool_placement.nodeSelector)" in gke
    assert re.search(r'dynamic "taint" \{\s*for_each = var\.spark_pool_placement\.tolerations', gke)
    assert '"caec.io/pool" = "spark"' not in gke, (
        "modules/gke must take the Spark pool label from modules/names"
    )
    platform = (MODULES_DIR / "platform" / "main.tf").read_text(encoding="utf-8")
    assert re.search(r"spark_pool_placement\s*=\s*module\.names\.spark_pool\n", platform)
    assert re.search(r"sparkPool\s*=\s*module\.gke\.spark_pool\n", platform)
    gke_outputs = (MODULES_DIR / "gke" / "outputs.tf").read_text(encoding="utf-8")
    assert "google_container_node_pool.spark.node_config[0].labels[k]" in gke_outputs
    assert "google_container_node_pool.spark.node_config[0].taint" in gke_outputs


def pipeline_config_defaults() -> dict[str, Any]:
    """Declared local defaults of caec_pipeline.config.PipelineConfig's settings (the first argument of
    ``setting(...)`` where it is a literal), read with ast (other venv)."""
    if not PIPELINE_CONFIG.is_file():
        pytest.skip(f"{PIPELINE_CONFIG} not present yet: DAG config check skipped")
    tree = ast.parse(PIPELINE_CONFIG.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "PipelineConfig":
            return {
                stmt.target.id: ast.literal_eval(stmt.value.args[0])
                for stmt in node.body
                if isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and isinstance(stmt.value, ast.Call)
                and isinstance(stmt.value.func, ast.Name)
                and stmt.value.func.id == "setting"
                and stmt.value.args
                and isinstance(stmt.value.args[0], ast.Constant)
            }
    raise AssertionError("PipelineConfig not found in caec_pipeline/config.py")


def test_dag_config_defaults_follow_the_naming_scheme() -> None:
    """The DAG's local defaults are the names module's names for env `local`."""
    defaults = pipeline_config_defaults()
    local = evaluate_names({"project_id": "my-project", "region": "europe-west1", "env": "local"})["platform"]
    assert defaults["env"] == local["env"] == "local"
    assert defaults["bq_staging_dataset"] == local["datasets"]["staging"]
    assert defaults["bq_marts_dataset"] == local["datasets"]["marts"]
    assert defaults["bq_location"] == local["bigqueryLocation"]
    assert defaults["jobs_namespace"] == local["namespaces"]["jobs"]
    assert defaults["spark_service_account"] == local["serviceAccounts"]["spark"]["name"]
    assert defaults["dbt_service_account"] == local["serviceAccounts"]["dbt"]["name"]
    assert (
        local["serviceAccounts"]["spark"]["namespace"]
        == local["serviceAccounts"]["dbt"]["namespace"]
        == defaults["jobs_namespace"]
    )


def test_names_module_terraform_tests_pass() -> None:
    """Real `terraform test` of modules/names (provider-free, so it runs offline)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "TF_DATA_DIR": str(Path(tmp) / ".terraform"), "CHECKPOINT_DISABLE": "1"}
        proc = subprocess.run(
            [terraform_binary(), "test", "-no-color"],
            cwd=MODULES_DIR / "names",
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"Success! [1-9]\d* passed, 0 failed", proc.stdout), proc.stdout


def test_platform_values_check_mode_reports_drift(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--check fails on a stale file and passes on a fresh one (the drift test's own guard)."""
    monkeypatch.setattr(platform_values, "HELM_VALUES_DIR", tmp_path)
    monkeypatch.setattr(platform_values, "values_path", lambda env: tmp_path / f"{env}.platform.yaml")
    (tmp_path / "dev.platform.yaml").write_text("platform: {}\n", encoding="utf-8")
    assert platform_values.main(["--check", "dev"]) == 1
    (tmp_path / "dev.platform.yaml").write_text(platform_values.render("dev"), encoding="utf-8")
    assert platform_values.main(["--check", "dev"]) == 0


def literal_retention(env: str) -> dict[str, int]:
    """Retention as Terraform applies it, read straight from the HCL: the environment's tfvars, else
    modules/platform's default (the one statement of the numbers)."""
    import hcl2
    from tfcontract import tfvars_path, unwrap

    def blocks(path: Path, kind: str) -> list[dict[str, Any]]:
        with path.open(encoding="utf-8") as handle:
            found: list[dict[str, Any]] = hcl2.load(handle).get(kind, [])
        return found

    with tfvars_path(env).open(encoding="utf-8") as handle:
        tfvars = hcl2.load(handle)
    if "retention_days" in tfvars:
        return dict(unwrap(tfvars["retention_days"]))
    for block in blocks(MODULES_DIR / "platform" / "variables.tf", "variable"):
        if "retention_days" in block:
            return dict(unwrap(block["retention_days"]["default"]))
    raise AssertionError("modules/platform has no retention_days variable")


@pytest.mark.parametrize("env", ENVS)
def test_retention_days_flow_into_the_platform_values(
    env: str, env_outputs: dict[str, dict[str, Any]]
) -> None:
    """retentionDays of the values file (-> CAEC_RETENTION_DAYS) is what GCS and BigQuery apply: dev's
    tfvars value, prod's the module default; the drift test above then covers it."""
    expected = literal_retention(env)
    assert set(expected) == {"raw", "staging", "quarantine", "marts", "audit"}
    assert env_outputs[env]["platform"].get("retentionDays") == expected
    values = yaml.safe_load(platform_values.values_path(env).read_text(encoding="utf-8"))
    assert values["platform"].get("retentionDays") == expected


def test_retention_is_not_restated_in_the_names_module_or_the_values_script() -> None:
    """No second statement of the days: names takes them as an input without default, the script reads HCL."""
    names_vars = (MODULES_DIR / "names" / "variables.tf").read_text(encoding="utf-8")
    block = names_vars.split('variable "retention_days"', 1)[1].split("\nvariable ", 1)[0]
    assert "default" not in block.replace("no default", "")
    platform = (MODULES_DIR / "platform" / "main.tf").read_text(encoding="utf-8")
    assert re.search(r"retention_days\s*=\s*var\.retention_days\n", platform)
