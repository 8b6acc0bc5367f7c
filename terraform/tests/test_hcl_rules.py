"""Static rules over every .tf file, checked on the parsed HCL (python-hcl2)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tfcontract import ENVS_DIR, MODULES_DIR, TF_DIR, hcl_files, load_hcl, resources, unwrap

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
    } <= set(MODULES)
    assert {"dev", "prod"} <= {p.name for p in ENVS_DIR.iterdir()}
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


def test_env_roots_differ_only_in_backend_prefix_and_tfvars() -> None:
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf"):
        dev = (ENVS_DIR / "dev" / name).read_text(encoding="utf-8")
        prod = (ENVS_DIR / "prod" / name).read_text(encoding="utf-8")
        assert dev.replace("caec/dev", "caec/prod") == prod, (
            f"envs/dev/{name} and envs/prod/{name} drifted apart"
        )


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_env_root_uses_every_module_with_a_gcs_backend(env: str) -> None:
    main = load_hcl(ENVS_DIR / env / "main.tf")
    sources = {unwrap(body["source"]) for block in main["module"] for body in block.values()}
    assert sources == {f"../../modules/{m}" for m in MODULES}
    versions = load_hcl(ENVS_DIR / env / "versions.tf")["terraform"][0]
    assert unwrap(versions["backend"][0]["gcs"]["prefix"]) == f"caec/{env}"


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_tfvars_only_set_declared_variables(env: str) -> None:
    declared = {name for block in load_hcl(ENVS_DIR / env / "variables.tf")["variable"] for name in block}
    tfvars = load_hcl(ENVS_DIR / env / "terraform.tfvars")
    assert set(tfvars) <= declared, f"envs/{env}/terraform.tfvars sets undeclared {set(tfvars) - declared}"
    assert unwrap(tfvars["env"]) == env


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
