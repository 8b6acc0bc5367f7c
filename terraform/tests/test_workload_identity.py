"""Every KSA of the Helm chart has exactly one Workload Identity binding in Terraform, and vice versa."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import platform_values
import pytest
import yaml
from tfcontract import ENVS, MODULES_DIR, REPO_ROOT, hcl_files, resources, unwrap

CHART = REPO_ROOT / "helm" / "caec-platform"
DOC = REPO_ROOT / "docs" / "platform-names.md"
GSA_ANNOTATION = "iam.gke.io/gcp-service-account"
WI_ROLE = "roles/iam.workloadIdentityUser"


def wi_resources() -> list[tuple[Path, str, dict[str, Any]]]:
    """Every IAM member resource that grants roles/iam.workloadIdentityUser."""
    found = []
    for path in hcl_files():
        for rtype, name, body in resources(path):
            if rtype.endswith("_iam_member") and unwrap(body.get("role")) == WI_ROLE:
                found.append((path, f"{rtype}.{name}", body))
    return found


def bound_ksas(outputs: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(namespace, ksa) -> GSA email for every Workload Identity binding the env makes."""
    members = outputs["workload_identity_members"]
    accounts = outputs["platform"]["serviceAccounts"]
    bound: dict[tuple[str, str], str] = {}
    for key, member in members.items():
        match = re.fullmatch(
            r"serviceAccount:([a-z0-9-]+)\.svc\.id\.goog\[([a-z0-9-]+)/([a-z0-9-]+)\]", member
        )
        assert match, f"malformed Workload Identity member {member!r}"
        assert match.group(1) == outputs["platform"]["projectId"]
        ksa = (match.group(2), match.group(3))
        assert ksa not in bound, f"KSA {ksa} is bound twice"
        bound[ksa] = accounts[key]["gsa"]
    return bound


def test_workload_identity_bindings_are_one_resource_per_workload() -> None:
    """The only KSA bindings come from modules/iam, one per entry of var.workload_identity."""
    ksa_bindings = [
        (p, a, b) for p, a, b in wi_resources() if str(unwrap(b["member"])).startswith("serviceAccount:")
    ]
    assert len(ksa_bindings) == 1, (
        f"expected one KSA binding resource, found {[a for _, a, _ in ksa_bindings]}"
    )
    path, _, body = ksa_bindings[0]
    assert path == MODULES_DIR / "iam" / "main.tf"
    assert unwrap(body["for_each"]) == "${var.workload_identity}"
    assert (
        unwrap(body["member"])
        == "serviceAccount:${var.workload_identity_pool}[${each.value.namespace}/${each.value.ksa}]"
    )
    others = [a for p, a, b in wi_resources() if not str(unwrap(b["member"])).startswith("serviceAccount:")]
    assert others == ["google_service_account_iam_member.github"], (
        "only GitHub federation may impersonate otherwise"
    )


def test_platform_module_binds_the_names_modules_workloads() -> None:
    """Every environment deploys modules/platform (through terraform/root), which binds exactly the names module's workloads."""
    text = (MODULES_DIR / "platform" / "main.tf").read_text(encoding="utf-8")
    assert (
        "workload_identity      = { for k, w in module.names.workloads : k => { namespace = w.namespace, ksa = w.ksa } }"
        in text
    )
    assert "workload_identity_pool = module.gke.workload_identity_pool" in text


@pytest.mark.parametrize("env", ENVS)
def test_values_file_service_accounts_are_exactly_the_bindings(
    env: str, env_outputs: dict[str, dict[str, Any]]
) -> None:
    values = yaml.safe_load(platform_values.values_path(env).read_text(encoding="utf-8"))["platform"]
    declared = {(sa["namespace"], sa["name"]): sa["gsa"] for sa in values["serviceAccounts"].values()}
    assert declared == bound_ksas(env_outputs[env])


def test_docs_ksa_table_matches_the_bindings(env_outputs: dict[str, dict[str, Any]]) -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = set(
        re.findall(r"\| KSA [^|]*\| `([a-z0-9-]+)` \((?:one KSA, )?in `([a-z0-9-]+)`\) \|", text)
    )
    assert documented, "no KSA rows found in docs/platform-names.md"
    assert {(ns, name) for name, ns in documented} == set(bound_ksas(env_outputs["dev"]))


def render_chart(helm: str, env: str) -> list[dict[str, Any]]:
    """`helm template` of our chart with the env's generated platform values (+ its env values)."""
    args = [helm, "template", "caec-platform", str(CHART), "-f", str(platform_values.values_path(env))]
    env_values = REPO_ROOT / "helm" / "values" / "caec-platform" / f"{env}.yaml"
    if env_values.is_file():
        args += ["-f", str(env_values)]
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"helm template failed for {env}:\n{proc.stderr}"
    return [doc for doc in yaml.safe_load_all(proc.stdout) if doc]


@pytest.mark.parametrize("env", ENVS)
def test_chart_ksas_have_exactly_one_binding_each(
    env: str, helm_binary: str, env_outputs: dict[str, dict[str, Any]]
) -> None:
    if not (CHART / "Chart.yaml").is_file():
        pytest.skip("helm/caec-platform is not there yet: chart check skipped")
    objects = render_chart(helm_binary, env)
    rendered = {
        (o["metadata"]["namespace"], o["metadata"]["name"]): (o["metadata"].get("annotations") or {}).get(
            GSA_ANNOTATION
        )
        for o in objects
        if o["kind"] == "ServiceAccount"
    }
    bound = bound_ksas(env_outputs[env])
    annotated = {ksa: gsa for ksa, gsa in rendered.items() if gsa}
    assert annotated == bound, "KSAs annotated with a GSA must be exactly the Terraform bindings (same GSA)"
    # Every pod of the chart runs as one of those KSAs or as a KSA without GCP access.
    for obj in objects:
        spec = obj.get("spec", {})
        pod = (
            spec.get("template", {}).get("spec")
            if "template" in spec
            else (spec if obj["kind"] == "Pod" else None)
        )
        if pod and pod.get("serviceAccountName"):
            ksa = (obj["metadata"].get("namespace"), pod["serviceAccountName"])
            assert ksa in rendered, f"{obj['kind']}/{obj['metadata']['name']} runs as unknown KSA {ksa}"


@pytest.mark.parametrize("env", ENVS)
def test_chart_configmap_carries_the_terraform_names(
    env: str, helm_binary: str, env_outputs: dict[str, dict[str, Any]]
) -> None:
    """Bucket and dataset names reach the DAG config (ConfigMap) unchanged."""
    if not (CHART / "Chart.yaml").is_file():
        pytest.skip("helm/caec-platform is not there yet: chart check skipped")
    platform = env_outputs[env]["platform"]
    maps = [
        o
        for o in render_chart(helm_binary, env)
        if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "caec-pipeline-config"
    ]
    assert len(maps) == 1, "the chart must render the ConfigMap caec-pipeline-config"
    data = maps[0]["data"]
    assert data["CAEC_ENV"] == env
    assert data["CAEC_GCP_PROJECT"] == platform["projectId"]
    assert data["CAEC_BQ_STAGING_DATASET"] == platform["datasets"]["staging"]
    assert data["CAEC_BQ_MARTS_DATASET"] == platform["datasets"]["marts"]
    assert data["CAEC_BQ_LOCATION"] == platform["bigqueryLocation"]
    assert data["CAEC_JOBS_NAMESPACE"] == platform["namespaces"]["jobs"]
    assert data["CAEC_SPARK_SERVICE_ACCOUNT"] == platform["serviceAccounts"]["spark"]["name"]
    assert data["CAEC_DBT_SERVICE_ACCOUNT"] == platform["serviceAccounts"]["dbt"]["name"]
    if data.get("CAEC_RAW_URI", "").startswith("gs://"):
        assert data["CAEC_RAW_URI"].startswith(f"gs://{platform['buckets']['raw']}")
        assert data["CAEC_STAGING_URI"].startswith(f"gs://{platform['buckets']['staging']}")
        assert data["CAEC_QUARANTINE_URI"].startswith(f"gs://{platform['buckets']['quarantine']}")
    assert data["CAEC_IMAGE_REPO"] == platform["imageRepo"]


def test_helm_values_name_only_terraform_gsas(env_outputs: dict[str, dict[str, Any]]) -> None:
    """Any GSA email written in helm/values (e.g. upstream chart values) is one Terraform creates."""
    known = {gsa for outputs in env_outputs.values() for gsa in bound_ksas(outputs).values()}
    values_dir = REPO_ROOT / "helm" / "values"
    if not values_dir.is_dir():
        pytest.skip("helm/values is not there yet")
    for path in sorted(values_dir.rglob("*.yaml")):
        for email in re.findall(
            r"[a-z0-9-]+@[a-z0-9-]+\.iam\.gserviceaccount\.com", path.read_text(encoding="utf-8")
        ):
            if path.name.startswith(("dev", "prod")):
                assert email in known, (
                    f"{path.relative_to(REPO_ROOT)} names {email}, which Terraform does not create"
                )
