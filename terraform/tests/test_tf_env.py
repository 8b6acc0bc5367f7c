"""scripts/tf-env.sh: terraform in the one root module for one environment, its data dir, state and values.

Real `terraform init/plan` needs the google provider and GCP (GitHub CI); here a recorder stands in for the
terraform binary ($TERRAFORM) and the test checks exactly what the script would run.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from tfcontract import ENVS, ENVS_DIR, ROOT_MODULE, TF_DIR, backend_config_path, tfvars_path

SCRIPT = TF_DIR / "scripts" / "tf-env.sh"
RECORDER = """#!/usr/bin/env python3
import json, os, sys
print(json.dumps({"args": sys.argv[1:], "data_dir": os.environ.get("TF_DATA_DIR")}))
sys.exit(int(os.environ.get("FAKE_RC", "0")))
"""


def run(tmp_path: Path, *args: str, rc: int = 0) -> subprocess.CompletedProcess[str]:
    recorder = tmp_path / "terraform"
    recorder.write_text(RECORDER, encoding="utf-8")
    recorder.chmod(0o755)
    env = {**os.environ, "TERRAFORM": str(recorder), "FAKE_RC": str(rc), "TF_DATA_DIR": "/elsewhere"}
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, env=env, check=False)


def recorded(proc: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout)
    return result


@pytest.mark.parametrize("env", ENVS)
def test_each_command_gets_the_environments_data_dir_state_and_values(env: str, tmp_path: Path) -> None:
    chdir = f"-chdir={ROOT_MODULE}"
    data_dir = str(ENVS_DIR / env / ".terraform")
    init = recorded(run(tmp_path, env, "init", "-backend-config=bucket=b"))
    assert init == {
        "args": [chdir, "init", f"-backend-config={backend_config_path(env)}", "-backend-config=bucket=b"],
        "data_dir": data_dir,
    }
    plan = recorded(run(tmp_path, env, "plan", "-out=tfplan"))
    assert plan["args"] == [chdir, "plan", f"-var-file={tfvars_path(env)}", "-out=tfplan"]
    assert plan["data_dir"] == data_dir
    assert recorded(run(tmp_path, env, "apply"))["args"] == [chdir, "apply", f"-var-file={tfvars_path(env)}"]
    assert recorded(run(tmp_path, env, "output", "-json", "pii_policy_tag_ids"))["args"] == [
        chdir,
        "output",
        "-json",
        "pii_policy_tag_ids",
    ]


def test_apply_of_a_saved_plan_takes_no_var_file(tmp_path: Path) -> None:
    """terraform refuses -var-file with a saved plan, which holds the values already."""
    plan = ROOT_MODULE / "tfplan-test-tf-env"
    plan.write_text("", encoding="utf-8")
    try:
        args = recorded(run(tmp_path, "dev", "apply", "-input=false", plan.name))["args"]
    finally:
        plan.unlink()
    assert args == [f"-chdir={ROOT_MODULE}", "apply", "-input=false", plan.name]


def test_terraforms_exit_code_passes_through(tmp_path: Path) -> None:
    """plan -detailed-exitcode (the PR workflow) needs terraform's own 2 for "changes"."""
    assert run(tmp_path, "prod", "plan", "-detailed-exitcode", rc=2).returncode == 2


def test_an_unknown_environment_is_refused(tmp_path: Path) -> None:
    proc = run(tmp_path, "kind", "plan")
    assert proc.returncode == 2 and "no environment 'kind'" in proc.stderr and not proc.stdout
