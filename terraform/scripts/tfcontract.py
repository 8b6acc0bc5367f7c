"""Shared helpers of the Terraform scripts and tests: parse HCL, read an env's tfvars, evaluate names.

The names module (terraform/modules/names) is provider-free, so it can be `terraform apply`-ed as a root
of its own, offline, with a throwaway state. Evaluating it with real terraform (instead of
re-implementing its string templates in Python) is what makes the Helm values and the governance doc
derive from the Terraform code itself.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import hcl2

TF_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = TF_DIR.parent
MODULES_DIR = TF_DIR / "modules"
NAMES_MODULE = MODULES_DIR / "names"
# The one root module every environment applies; envs/<env>/ holds only that environment's values
# (terraform.tfvars, backend.gcs.tfbackend).
ROOT_MODULE = TF_DIR / "root"
ENVS_DIR = TF_DIR / "envs"
ENVS = ("dev", "prod")
HELM_VALUES_DIR = REPO_ROOT / "helm" / "values" / "caec-platform"

# Key order of the platform object in docs/platform-names.md (the values file keeps it for readers).
PLATFORM_KEYS = (
    "env",
    "projectId",
    "region",
    "namespaces",
    "serviceAccounts",
    "buckets",
    "datasets",
    "bigqueryLocation",
    "imageRepo",
    "sparkPool",
    "retentionDays",
)
# Inputs of modules/platform that names depend on, all from envs/<env>/terraform.tfvars (a test checks
# the root passes them on unchanged).
NAME_INPUTS = ("project_id", "region", "env", "bigquery_location", "persona_groups")
# Variables of the root that are not modules/platform inputs (the google provider's labels).
ROOT_ONLY_INPUTS = ("labels",)


class TerraformError(RuntimeError):
    """terraform failed or is missing; the message carries its output and what to do."""


def load_hcl(path: Path) -> dict[str, Any]:
    """Parse one .tf/.tfvars file into python-hcl2's structure (attribute values wrapped in lists)."""
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = hcl2.load(handle)
    return data


def unwrap(value: Any) -> Any:
    """python-hcl2 wraps every attribute value in a one-element list; return the value itself."""
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def tfvars_path(env: str) -> Path:
    """The committed tfvars of an environment (the one input of both the deployment and the values file)."""
    return ENVS_DIR / env / "terraform.tfvars"


def backend_config_path(env: str) -> Path:
    """The environment's partial GCS backend configuration (its state prefix) for `terraform init`."""
    return ENVS_DIR / env / "backend.gcs.tfbackend"


def read_tfvars(env: str) -> dict[str, Any]:
    """Variables of envs/<env>/terraform.tfvars as plain Python values."""
    path = tfvars_path(env)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: every environment needs its terraform.tfvars")
    return {key: unwrap(value) for key, value in load_hcl(path).items() if not key.startswith("__")}


def module_variables(directory: Path) -> dict[str, Any]:
    """Every variable block of a module directory, by name."""
    out: dict[str, Any] = {}
    for path in sorted(directory.glob("*.tf")):
        for block in load_hcl(path).get("variable", []):
            out.update({k: v for k, v in block.items() if not k.startswith("__")})
    return out


def env_inputs(env: str) -> dict[str, Any]:
    """The modules/platform inputs envs/<env>/terraform.tfvars sets (the root passes each one through
    unchanged), i.e. the environment's values and what its policy sets differently from the defaults."""
    return {k: v for k, v in read_tfvars(env).items() if k not in ROOT_ONLY_INPUTS}


def platform_input(env: str, name: str) -> Any:
    """A modules/platform input as environment `env` gets it: its tfvars value, else the module's default."""
    inputs = env_inputs(env)
    if name in inputs:
        return inputs[name]
    variables = module_variables(MODULES_DIR / "platform")
    if name not in variables:
        raise ValueError(f"modules/platform has no variable {name}")
    return unwrap(variables[name].get("default"))


def name_inputs(env: str) -> dict[str, Any]:
    """What the names module takes for an env: its tfvars values (the env name included, which must be
    its folder's name) and the retention policy as modules/platform gets it (tfvars, else the default)."""
    tfvars = read_tfvars(env)
    missing = [k for k in ("env", "project_id", "region") if k not in tfvars]
    if missing:
        raise ValueError(f"{tfvars_path(env)} lacks {', '.join(missing)}: names derive from them")
    if tfvars["env"] != env:
        raise ValueError(f"{tfvars_path(env)} sets env = {tfvars['env']!r}; it must be {env!r} (its folder)")
    return {
        **{k: tfvars[k] for k in NAME_INPUTS if k in tfvars},
        "retention_days": platform_input(env, "retention_days"),
    }


def terraform_binary() -> str:
    """Path of terraform, or a TerraformError that says how to get it."""
    found = shutil.which(os.environ.get("TERRAFORM", "terraform"))
    if not found:
        raise TerraformError("terraform is not on PATH: install terraform >= 1.11 (or set TERRAFORM=/path)")
    return found


def _run(args: list[str], cwd: Path, env: Mapping[str, str]) -> str:
    """Run one terraform command; on failure raise with its combined output (the actual reason)."""
    proc = subprocess.run(args, cwd=cwd, env=dict(env), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise TerraformError(f"`{' '.join(args[1:3])}` failed in {cwd}:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def evaluate_names(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Apply modules/names (provider-free, so a root of its own) with `inputs` in a temp dir; return its
    outputs. Without `retention_days` (names only: governance doc, naming tests) it gets null.

    Nothing is written into the repository: the plugin dir (TF_DATA_DIR) and the state live in the
    temp dir, and no resources exist, so this runs offline in about a second.
    """
    key = json.dumps({"retention_days": None, **inputs}, sort_keys=True)
    return json.loads(_evaluate_cached(key))


@lru_cache(maxsize=16)
def _evaluate_cached(inputs_json: str) -> str:
    terraform = terraform_binary()
    with tempfile.TemporaryDirectory(prefix="caec-names-") as tmp:
        work = Path(tmp)
        var_file = work / "inputs.tfvars.json"
        var_file.write_text(inputs_json, encoding="utf-8")
        state = work / "names.tfstate"
        env = {
            **os.environ,
            "TF_DATA_DIR": str(work / ".terraform"),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
        }
        _run([terraform, "init", "-input=false", "-no-color", "-backend=false"], NAMES_MODULE, env)
        _run(
            [
                terraform,
                "apply",
                "-auto-approve",
                "-input=false",
                "-no-color",
                f"-state={state}",
                f"-var-file={var_file}",
            ],
            NAMES_MODULE,
            env,
        )
        raw = json.loads(
            _run([terraform, "output", "-no-color", "-json", f"-state={state}"], NAMES_MODULE, env)
        )
    return json.dumps({name: out["value"] for name, out in raw.items()}, sort_keys=True)


def evaluate_env(env: str) -> dict[str, Any]:
    """Outputs of the names module for an environment's tfvars (platform, access_bindings, ...)."""
    return evaluate_names(name_inputs(env))


def ordered_platform(platform: Mapping[str, Any]) -> dict[str, Any]:
    """The platform object with the contract's key order; raises if keys differ from the contract."""
    extra = sorted(set(platform) - set(PLATFORM_KEYS))
    missing = [k for k in PLATFORM_KEYS if k not in platform]
    if extra or missing:
        raise ValueError(
            f"platform object keys differ from docs/platform-names.md: missing {missing}, unexpected {extra}"
        )
    return {k: platform[k] for k in PLATFORM_KEYS}


def hcl_files(base: Path = TF_DIR) -> list[Path]:
    """Every .tf file under terraform/ (sorted; skips .terraform plugin dirs)."""
    return sorted(p for p in base.rglob("*.tf") if ".terraform" not in p.parts)


def resources(path: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """(type, name, body) of every resource block in one file."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    for block in load_hcl(path).get("resource", []):
        for rtype, named in block.items():
            for name, body in named.items():
                out.append((rtype, name, body))
    return out
