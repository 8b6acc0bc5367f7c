"""Static rules over every .tf file, checked on the parsed HCL (python-hcl2)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tfcontract import (
    ENVS,
    ENVS_DIR,
    MODULES_DIR,
    NAME_INPUTS,
    ROOT_MODULE,
    ROOT_ONLY_INPUTS,
    TF_DIR,
    backend_config_path,
    env_inputs,
    hcl_files,
    load_hcl,
    read_tfvars,
    resources,
    tfvars_path,
    unwrap,
)

PRIMITIVE_ROLES = {"roles/owner", "roles/editor", "roles/viewer"}
MODULES = sorted(p.name for p in MODULES_DIR.iterdir() if p.is_dir())
TF_FILES = hcl_files()


def rel(path: Path) -> str:
    return str(path.relative_to(TF_DIR))


def strings(node: Any) -> list[str]:
    """Every string inside a parsed HCL value (recursively)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in strings(v)]
    return []


def test_the_tree_has_modules_and_envs() -> None:
    assert {
        "names",
        "network",
        "gke",
        "storage",
        "bigquery",
        "iam",
        "artifact_registry",
        "github_wif",
        "audit_sink",
        "platform",
    } <= set(MODULES)
    assert {"dev", "prod"} <= {p.name for p in ENVS_DIR.iterdir()}
    assert (ROOT_MODULE / "main.tf").is_file()
    assert len(TF_FILES) > 40


@pytest.mark.parametrize("path", TF_FILES, ids=rel)
def test_every_variable_is_typed_and_described(path: Path) -> None:
    for block in load_hcl(path).get("variable", []):
        for name, body in block.items():
            assert "type" in body, f"{rel(path)}: variable {name} has no type"
            description = unwrap(body.get("description", ""))
            assert isinstance(description, str) and len(description) >= 10, (
                f"{rel(path)}: variable {name} needs a description"
            )


@pytest.mark.parametrize("path", TF_FILES, ids=rel)
def test_every_output_is_described(path: Path) -> None:
    for block in load_hcl(path).get("output", []):
        for name, body in block.items():
            assert unwrap(body.get("description", "")), f"{rel(path)}: output {name} needs a description"


@pytest.mark.parametrize("module", MODULES)
def test_module_layout(module: str) -> None:
    directory = MODULES_DIR / module
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
        assert (directory / name).is_file(), f"modules/{module}/{name} is missing"
    versions = load_hcl(directory / "versions.tf")["terraform"][0]
    assert unwrap(versions["required_version"]) == ">= 1.11"
    providers = unwrap(versions.get("required_providers", [{}]))
    providers = providers[0] if isinstance(providers, list) else providers
    if module == "names":
        assert not providers, (
            "modules/names must stay provider-free: make platform-values evaluates it offline"
        )
    else:
        google = unwrap(providers["google"])
        assert google["version"] == "~> 7.17", f"modules/{module}: pin the google provider to ~> 7.17"


def iam_violations(path: Path) -> list[str]:
    """Primitive roles, service-account keys and authoritative IAM resources in one .tf file."""
    problems = []
    parsed = load_hcl(path)
    for rtype, name, body in resources(path):
        if rtype == "google_service_account_key":
            problems.append(f"{rtype}.{name}: no service-account keys (use Workload Identity / federation)")
        if re.search(r"_iam_(binding|policy)$", rtype):
            problems.append(
                f"{rtype}.{name}: authoritative IAM removes grants made elsewhere; use *_iam_member"
            )
        found = PRIMITIVE_ROLES & set(strings(body))
        if found:
            problems.append(f"{rtype}.{name} grants primitive role(s) {sorted(found)}")
    # locals and module arguments too (the access policy is data in locals)
    for section in ("locals", "module"):
        found = PRIMITIVE_ROLES & set(strings(parsed.get(section, [])))
        if found:
            problems.append(f"{section} mention primitive role(s) {sorted(found)}")
    return problems


@pytest.mark.parametrize("path", TF_FILES, ids=rel)
def test_no_primitive_roles_no_keys_additive_iam(path: Path) -> None:
    assert iam_violations(path) == [], rel(path)
    assert "google_service_account_key" not in path.read_text(encoding="utf-8")


def test_iam_rules_catch_violations(tmp_path: Path) -> None:
    """The rule above must be able to fail: feed it the three things it forbids."""
    bad = tmp_path / "bad.tf"
    bad.write_text(
        """resource "google_service_account_key" "k" {
  service_account_id = "x"
}

resource "google_project_iam_binding" "b" {
  project = "p"
  role    = "roles/storage.admin"
  members = ["group:g@example.com"]
}

locals {
  policy = [{ role = "roles/editor" }]
}
""",
        encoding="utf-8",
    )
    problems = iam_violations(bad)
    assert len(problems) == 3, problems


def test_every_checkov_skip_is_justified() -> None:
    skips = []
    for path in TF_FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if "checkov:skip" in line:
                match = re.search(r"#checkov:skip=(CKV2?_[A-Z]+_\d+):(.*)$", line.strip())
                assert match, f"{rel(path)}: malformed skip {line.strip()!r}"
                assert len(match.group(2).split()) >= 8, (
                    f"{rel(path)}: skip {match.group(1)} needs a real justification"
                )
                skips.append(match.group(1))
    assert skips, "expected the documented checkov skips"


PLATFORM_DIR = MODULES_DIR / "platform"
PLATFORM_SOURCE = "../modules/platform"
# The one root module's files; an environment's folder holds only its values.
ROOT_FILES = {"main.tf", "variables.tf", "outputs.tf", "versions.tf", "moved.tf"}
ENV_FILES = {"terraform.tfvars", "backend.gcs.tfbackend"}
# Modules added after modules/platform existed: no root state to move (a moved block would claim one).
BORN_IN_PLATFORM = {"monitoring"}
# Outputs people and CI read from `terraform output` of an environment (docs/ci.md, terraform/README.md).
CONSUMED_OUTPUTS = {
    "platform",
    "cluster_name",
    "spark_pool",
    "github_workload_identity_provider",
    "ci_service_account",
    "pii_policy_tag_ids",
    "audit_sink_writer_identity",
    "applied_grants",
}


def blocks_of(directory: Path, kind: str) -> dict[str, Any]:
    """Every block of one kind (module, output, variable, ...) across a directory's .tf files, by name."""
    out: dict[str, Any] = {}
    for path in sorted(directory.glob("*.tf")):
        for block in load_hcl(path).get(kind, []):
            out.update({k: v for k, v in block.items() if not k.startswith("__")})
    return out


def test_platform_module_composes_every_other_module() -> None:
    calls = blocks_of(PLATFORM_DIR, "module")
    assert {unwrap(body["source"]) for body in calls.values()} == {
        f"../{m}" for m in MODULES if m != "platform"
    }
    assert "provider" not in load_hcl(PLATFORM_DIR / "main.tf"), (
        "modules/platform takes the google provider from the root (a module with its own provider "
        "block cannot be used with depends_on/for_each and cannot be mocked the same way)"
    )


def test_the_root_is_a_thin_root_over_modules_platform() -> None:
    # Terraform files and folders (a local plan file or .terraform.lock.hcl may sit next to them).
    present = {p.name for p in [*ROOT_MODULE.glob("*.tf"), *ROOT_MODULE.glob("*.tfvars")]} | {
        p.name for p in ROOT_MODULE.iterdir() if p.is_dir() and not p.name.startswith(".")
    }
    assert present == ROOT_FILES, f"terraform/root holds {sorted(present ^ ROOT_FILES)}: see ROOT_FILES"
    for path in sorted(ROOT_MODULE.glob("*.tf")):
        parsed = load_hcl(path)
        assert not {"resource", "data"} & set(parsed), f"root/{path.name}: resources go into a module"
    calls = blocks_of(ROOT_MODULE, "module")
    assert list(calls) == ["platform"], (
        f"terraform/root must call only modules/platform, found {sorted(calls)}"
    )
    assert unwrap(calls["platform"]["source"]) == PLATFORM_SOURCE
    providers = load_hcl(ROOT_MODULE / "main.tf")["provider"]
    assert [name for block in providers for name in block] == ["google"]
    versions = load_hcl(ROOT_MODULE / "versions.tf")["terraform"][0]
    # A partial backend: the environment's prefix comes from envs/<env>/backend.gcs.tfbackend.
    assert unwrap(versions["backend"][0]["gcs"]) == {}, "the state prefix belongs to each environment"
    google = unwrap(unwrap(versions["required_providers"])["google"])
    assert google["version"] == "~> 7.17", "terraform/root: pin the google provider like the modules do"


@pytest.mark.parametrize("env", ENVS)
def test_an_environment_is_only_values(env: str) -> None:
    """envs/<env> holds its tfvars and its state prefix, nothing Terraform would load as code."""
    directory = ENVS_DIR / env
    present = {p.name for p in directory.iterdir() if not p.name.startswith(".")}
    assert present == ENV_FILES, (
        f"envs/{env} holds {sorted(present ^ ENV_FILES)}: code goes into terraform/root"
    )
    backend = {k: unwrap(v) for k, v in load_hcl(backend_config_path(env)).items() if not k.startswith("__")}
    assert backend == {"prefix": f"caec/{env}"}, (
        "the state of every environment has always lived at caec/<env>"
    )
    assert read_tfvars(env)["env"] == env, f"{tfvars_path(env)}: env must be its folder's name"


def test_the_root_passes_every_input_straight_to_the_module() -> None:
    """The root is modules/platform's inputs (+ provider labels), each passed unchanged under its name, so
    an environment's tfvars are exactly what the module gets (what `make platform-values` relies on)."""
    call = blocks_of(ROOT_MODULE, "module")["platform"]
    root_vars = blocks_of(ROOT_MODULE, "variable")
    module_vars = blocks_of(PLATFORM_DIR, "variable")
    assert set(root_vars) == set(module_vars) | set(ROOT_ONLY_INPUTS)
    args = {k: unwrap(v) for k, v in call.items() if k != "source" and not k.startswith("__")}
    assert args == {name: f"${{var.{name}}}" for name in module_vars}


def test_optional_root_inputs_mean_the_module_default() -> None:
    """An optional root input defaults to null, which modules/platform turns into its own default
    (nullable = false), so a default is stated once; required ones stay required in both."""
    root_vars = blocks_of(ROOT_MODULE, "variable")
    for name, body in blocks_of(PLATFORM_DIR, "variable").items():
        if "default" not in body:
            assert "default" not in root_vars[name], f"root: {name} is required by modules/platform"
            continue
        if "default" in root_vars[name]:
            assert unwrap(root_vars[name]["default"]) is None, f"root: {name} restates a default"
            assert unwrap(body.get("nullable")) is False or unwrap(body["default"]) is None, (
                f"modules/platform: {name} needs nullable = false (the root passes null for its default)"
            )


@pytest.mark.parametrize("env", ENVS)
def test_tfvars_set_the_inputs_names_derive_from(env: str) -> None:
    """`make platform-values` reads terraform.tfvars: every input the names derive from is there."""
    tfvars = read_tfvars(env)
    for name in NAME_INPUTS:
        assert name in tfvars, f"{tfvars_path(env)} must set {name} (names derive from it)"


def test_the_root_reexports_every_module_output() -> None:
    module_outputs = blocks_of(PLATFORM_DIR, "output")
    root_outputs = blocks_of(ROOT_MODULE, "output")
    assert set(module_outputs) >= CONSUMED_OUTPUTS
    assert set(root_outputs) == set(module_outputs), "root/outputs.tf must re-export every output"
    for name, body in root_outputs.items():
        assert unwrap(body["value"]) == f"${{module.platform.{name}}}", f"root: output {name}"


def test_the_root_moves_existing_state_into_the_module() -> None:
    """State applied before modules/platform existed must move, not be destroyed and re-created. Every
    environment's state (caec/<env>) has the same addresses, so the moves are stated once, in the root."""
    moved = {
        unwrap(b["from"]).strip("${}"): unwrap(b["to"]).strip("${}")
        for b in load_hcl(ROOT_MODULE / "moved.tf").get("moved", [])
    }
    expected = {
        f"module.{m}": f"module.platform.module.{m}"
        for m in blocks_of(PLATFORM_DIR, "module")
        if m not in BORN_IN_PLATFORM
    }
    expected |= {
        f"{rtype}.{name}": f"module.platform.{rtype}.{name}"
        for path in sorted(PLATFORM_DIR.glob("*.tf"))
        for rtype, name, _ in resources(path)
    }
    assert moved == expected


def effective(env: str, variable: str) -> Any:
    """A modules/platform input as the env gets it: its tfvars value, else the module's default."""
    inputs = env_inputs(env)
    if variable in inputs:
        return inputs[variable]
    return unwrap(blocks_of(PLATFORM_DIR, "variable")[variable].get("default"))


def module_default(module: str, variable: str) -> Any:
    return unwrap(blocks_of(MODULES_DIR / module, "variable")[variable].get("default"))


def test_prod_keeps_its_stricter_settings() -> None:
    call = env_inputs("prod")
    assert call.get("deletion_protection") is True, "prod must set deletion_protection = true explicitly"
    assert module_default("platform", "deletion_protection") is True, "a root that omits it is protected"
    refs = call.get("github_allowed_refs")
    assert refs, "prod must restrict which Git refs may authenticate from GitHub Actions"
    assert all(r == "refs/heads/main" or r.startswith("refs/tags/") for r in refs), refs


def longer_or_equal(days: int, baseline: int) -> bool:
    """Retention comparison where 0 means "never expires" (the longest)."""
    return days == 0 or (baseline != 0 and days >= baseline)


def test_prod_retention_keeps_the_documented_defaults_direction() -> None:
    """prod keeps every layer (and the logs, and their lock) at least as long as the documented defaults
    of modules/platform, and quarantined records (may hold personal data) no longer: copying dev's short
    retention into prod, or keeping quarantine forever, fails here. dev may shorten everything."""
    defaults = module_default("platform", "retention_days")
    prod = effective("prod", "retention_days")
    for layer, default_days in defaults.items():
        if layer == "quarantine":
            assert 0 < prod[layer] <= default_days, layer
        else:
            assert longer_or_equal(prod[layer], default_days), layer
    assert longer_or_equal(
        effective("prod", "logs_retention_days"), module_default("platform", "logs_retention_days")
    )
    lifecycle_defaults = module_default("platform", "bucket_lifecycle")
    lifecycle = effective("prod", "bucket_lifecycle")
    for bucket, default in lifecycle_defaults.items():
        assert lifecycle[bucket]["locked_days"] >= default["locked_days"], bucket


def test_retention_is_stated_once() -> None:
    """modules/platform derives bucket deletion and partition expiration from retention_days: no
    environment or platform input restates them per bucket or dataset."""
    for env in ENVS:
        assert not {"bucket_retention", "partition_expiration_days"} & set(env_inputs(env)), env
    assert not {"bucket_retention", "partition_expiration_days"} & set(blocks_of(PLATFORM_DIR, "variable"))
    layers = set(module_default("platform", "retention_days"))
    assert layers == {"raw", "staging", "quarantine", "marts", "audit"}


@pytest.mark.parametrize("env", ENVS)
def test_tfvars_only_set_declared_variables(env: str) -> None:
    declared = set(blocks_of(ROOT_MODULE, "variable"))
    tfvars = set(read_tfvars(env))
    assert tfvars <= declared, f"envs/{env}/terraform.tfvars sets undeclared {tfvars - declared}"


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_chart_network_policy_allows_the_control_plane_range(env: str) -> None:
    """The chart's egress to the Kubernetes API (private endpoint) must use the gke module's range."""
    import yaml

    values = TF_DIR.parent / "helm" / "values" / "caec-platform" / f"{env}.yaml"
    if not values.is_file():
        pytest.skip(f"{values} not present")
    cidrs = (
        ((yaml.safe_load(values.read_text(encoding="utf-8")) or {}).get("networkPolicy") or {}).get("kubeApi")
        or {}
    ).get("cidrs")
    if not cidrs:
        pytest.skip(f"{values.name} sets no networkPolicy.kubeApi.cidrs")
    master = None
    for block in load_hcl(MODULES_DIR / "gke" / "variables.tf")["variable"]:
        if "master_ipv4_cidr_block" in block:
            master = unwrap(block["master_ipv4_cidr_block"]["default"])
    assert master in cidrs, (
        f"helm/values/caec-platform/{env}.yaml kubeApi.cidrs {cidrs} lacks the control-plane range {master}"
    )
