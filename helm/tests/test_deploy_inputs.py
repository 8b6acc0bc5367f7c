"""Deploy-time inputs of `make helm-*` that cannot live in a committed values file.

The PII policy tag ids (CAEC_BQ_POLICY_TAGS) exist only after `terraform apply`: `make helm-upgrade`
(and helm-template/helm-diff, through helm-overlays) reads them from the env root's state with
`terraform output -json pii_policy_tag_ids`, POLICY_TAGS_JSON='{...}' overrides, and environments without
a Terraform root (kind, example) get none. `terraform output` on a real state cannot run here, so these
tests check the recipe's command line, the override path end to end (overlay -> render -> dbt pod), and
the error when there is no state (real terraform, no init).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from helmlib import ROOT, helm_bin
from test_platform_chart import one
from upstream import TEST_POLICY_TAGS, pipeline_objects, rendered_releases

TF_OUTPUT = "output -json pii_policy_tag_ids"


def make(*args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE") and k != "POLICY_TAGS_JSON"}
    return subprocess.run(
        ["make", "-s", "--no-print-directory", "-C", str(ROOT), f"HELM={helm_bin()}", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**env, **(extra_env or {})},
        timeout=300,
    )


@pytest.mark.parametrize("env", ["dev", "prod"])
@pytest.mark.parametrize("target", ["helm-upgrade", "helm-template", "helm-diff"])
def test_gke_deploys_read_the_tag_ids_from_the_env_roots_state(env: str, target: str) -> None:
    proc = make("-n", target, f"ENV={env}")
    assert proc.returncode == 0, proc.stderr
    assert f"{ROOT}/terraform/scripts/tf-env.sh {env} {TF_OUTPUT}" in proc.stdout, proc.stdout


def test_kind_has_no_terraform_and_gets_no_tags() -> None:
    proc = make("-n", "helm-upgrade", "ENV=kind")
    assert proc.returncode == 0, proc.stderr
    assert TF_OUTPUT not in proc.stdout
    assert "--policy-tags-json" in proc.stdout


def test_without_state_or_override_the_deploy_stops_with_the_fix(tmp_path: Path) -> None:
    """Real terraform, no `terraform init` (TF_DATA_DIR is empty): no state, so a clear error."""
    proc = make("helm-overlays", "ENV=dev", extra_env={"TF_DATA_DIR": str(tmp_path / "tf")})
    assert proc.returncode != 0
    assert "pii_policy_tag_ids" in proc.stderr and "POLICY_TAGS_JSON" in proc.stderr, proc.stderr
    assert not (ROOT / "terraform" / "envs" / "dev" / ".terraform").exists()


def test_override_reaches_the_configmap_and_the_dbt_pod() -> None:
    """POLICY_TAGS_JSON -> overlay -> chart value -> ConfigMap -> the dbt pod the DAG builds."""
    cm = one(rendered_releases("dev")["caec-platform"], "ConfigMap", "caec-pipeline-config")["data"]
    assert json.loads(cm["CAEC_BQ_POLICY_TAGS"]) == TEST_POLICY_TAGS
    pod = pipeline_objects("dev")["Pod"]
    (container,) = pod["spec"]["containers"]
    env = {e["name"]: e.get("value", "") for e in container["env"]}
    assert json.loads(env["CAEC_BQ_POLICY_TAGS"]) == TEST_POLICY_TAGS


def test_kind_dbt_pod_gets_an_empty_tag_map() -> None:
    cm = one(rendered_releases("kind")["caec-platform"], "ConfigMap", "caec-pipeline-config")["data"]
    assert cm["CAEC_BQ_POLICY_TAGS"] == ""
    (container,) = pipeline_objects("kind")["Pod"]["spec"]["containers"]
    env = {e["name"]: e.get("value", "") for e in container["env"]}
    # dbt's YAML does fromjson(env_var(...)): an empty object, never an empty string.
    assert env["CAEC_BQ_POLICY_TAGS"] == "{}"


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ("not json", "not valid JSON"),
        ('["x"]', "JSON object"),
        ('{"pseudonymous_id": "caec-dev-pii/pseudonymous_id"}', "projects/"),
    ],
)
def test_a_bad_override_is_rejected_before_helm_runs(raw: str, needle: str) -> None:
    proc = make("helm-overlays", "ENV=dev", f"POLICY_TAGS_JSON={raw}")
    assert proc.returncode != 0
    assert needle in proc.stderr, proc.stderr
