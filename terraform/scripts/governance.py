"""Generate docs/governance.md from the Terraform code: access matrix, audit, data quality, PII, retention.

Usage: governance.py [--write | --check]   (default: print to stdout)

Sources, all read here, none retyped:
- the access policy in terraform/modules/names/access.tf, evaluated with real terraform (offline) with
  placeholder inputs, so physical names appear as patterns such as <project>-caec-<env>-raw;
- the persona groups in envs/<env>/terraform.tfvars and the retention overrides of the env root's
  `module "platform"` call (envs/<env>/main.tf), falling back to the defaults of the storage and
  bigquery modules' variables;
- every IAM resource with a fixed role in terraform/modules (Workload Identity, the audit sink writer,
  GitHub federation), found by parsing the HCL.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tfcontract import (
    ENVS,
    MODULES_DIR,
    REPO_ROOT,
    evaluate_names,
    load_hcl,
    platform_call,
    read_tfvars,
    resources,
    unwrap,
)

DOC_PATH = REPO_ROOT / "docs" / "governance.md"

# Placeholder inputs: distinctive values that are valid for the names module's validations and are
# replaced by <project>/<region>/<env> after evaluation, so the doc shows every environment at once.
PLACEHOLDERS = {"project_id": "zzproject", "region": "zzregion-zzzone9", "env": "zzenv"}
PLACEHOLDER_TEXT = {"zzproject": "<project>", "zzregion-zzzone9": "<region>", "zzenv": "<env>"}

PERSONAS = {
    "platform_engineer": "Platform team: runs terraform and helm upgrades, operates GKE.",
    "data_engineer": "Engineers who push images, trigger and backfill DAGs, develop dbt models.",
    "analyst": "Query the marts and build dashboards; never see personal data.",
    "data_steward": "Audit who accessed what, watch data quality, own the PII classification.",
}
SERVICE_ACCOUNTS = {
    "airflow": "Airflow components (KSA caec-airflow)",
    "spark": "Spark driver and executors (KSA caec-spark)",
    "dbt": "dbt pods (KSA caec-dbt)",
    "ci": "GitHub Actions (Workload Identity Federation)",
    "gke_nodes": "GKE node VMs",
}
COLUMNS = (
    ("bucket", "raw"),
    ("bucket", "staging"),
    ("bucket", "quarantine"),
    ("bucket", "logs"),
    ("dataset", "staging"),
    ("dataset", "marts"),
    ("dataset", "audit"),
    ("policy_tag", "pseudonymous_id"),
    ("policy_tag", "raw_record"),
    ("taxonomy", "pii"),
    ("repository", "images"),
    ("project", "project"),
)
COLUMN_TITLES = {
    ("bucket", "raw"): "raw bucket",
    ("bucket", "staging"): "staging bucket",
    ("bucket", "quarantine"): "quarantine bucket",
    ("bucket", "logs"): "logs bucket",
    ("dataset", "staging"): "staging dataset",
    ("dataset", "marts"): "marts dataset",
    ("dataset", "audit"): "audit dataset",
    ("policy_tag", "pseudonymous_id"): "PII tag pseudonymous_id",
    ("policy_tag", "raw_record"): "PII tag raw_record",
    ("taxonomy", "pii"): "PII taxonomy",
    ("repository", "images"): "image repo",
    ("project", "project"): "project",
}
# Which columns dbt tags with which policy tag (the dbt models attach the tag ids the env outputs).
# Staging's events/sessions/quarantine are external tables over GCS (not BigLake), which do not enforce
# policy tags: their bucket IAM protects them (dbt/tests/python/test_policy_tags.py checks the tables).
PII_COLUMNS = {
    "pseudonymous_id": "`visitor_id`, `session_id`, `first_session_id` of every dbt table (`fct_sessions`, "
    "`fct_page_views`, `fct_orders`, `dim_visitors`, `int_visitor_first_touch`)",
    "raw_record": "none yet: `user_agent` (events) and `raw`/`detail` (quarantine) exist only in the external "
    "tables over GCS, which enforce no policy tags; the staging and quarantine bucket IAM protects them",
}


def placeholder(text: str) -> str:
    """Replace the placeholder inputs by <project>/<region>/<env>."""
    for value, name in PLACEHOLDER_TEXT.items():
        text = text.replace(value, name)
    return text


def short_role(role: str) -> str:
    """roles/storage.objectViewer -> storage.objectViewer (the grid stays readable)."""
    return role.removeprefix("roles/")


def access_grid(bindings: Sequence[Mapping[str, Any]], principals: Sequence[str]) -> list[str]:
    """Markdown grid: one row per principal, one column per resource, cells list the roles."""
    used = [c for c in COLUMNS if any((b["resource_type"], b["resource"]) == c for b in bindings)]
    unknown = {(b["resource_type"], b["resource"]) for b in bindings} - set(COLUMNS)
    if unknown:
        raise ValueError(
            f"access policy names resources the governance doc has no column for: {sorted(unknown)}"
        )
    lines = [
        "| principal | " + " | ".join(COLUMN_TITLES[c] for c in used) + " |",
        "|---|" + "---|" * len(used),
    ]
    for principal in principals:
        cells = []
        for column in used:
            roles = sorted(
                short_role(b["role"])
                for b in bindings
                if b["principal"] == principal and (b["resource_type"], b["resource"]) == column
            )
            cells.append("<br>".join(roles) if roles else "")
        lines.append(f"| {principal} | " + " | ".join(cells) + " |")
    return lines


def grant_rows(bindings: Sequence[Mapping[str, Any]], principals: Sequence[str]) -> list[str]:
    """Markdown table of every grant with its physical resource and the reason."""
    lines = ["| principal | resource | name | role | why |", "|---|---|---|---|---|"]
    order = {p: i for i, p in enumerate(principals)}
    for b in sorted(
        bindings, key=lambda b: (order[b["principal"]], b["resource_type"], b["resource"], b["role"])
    ):
        lines.append(
            f"| {b['principal']} | {b['resource_type']} `{b['resource']}` | `{placeholder(b['resource_name'])}` "
            f"| `{b['role']}` | {b['why']} |"
        )
    return lines


def fixed_role_bindings() -> list[tuple[str, str, str, str]]:
    """(module, resource address, role, member expression) of IAM resources whose role is a literal."""
    found = []
    for path in sorted(MODULES_DIR.glob("*/*.tf")):
        for rtype, name, body in resources(path):
            role = unwrap(body.get("role", ""))
            if rtype.endswith("_iam_member") and isinstance(role, str) and role.startswith("roles/"):
                member = str(unwrap(body.get("member", "")))
                found.append((path.parent.name, f"{rtype}.{name}", role, member))
    return found


def variable_default(module: str, name: str) -> Any:
    """Default value of a module variable, read from its variables.tf."""
    for block in load_hcl(MODULES_DIR / module / "variables.tf").get("variable", []):
        if name in block:
            return unwrap(block[name].get("default"))
    raise KeyError(f"modules/{module}: no variable {name}")


def storage_versioning() -> dict[str, bool]:
    """Which data buckets are versioned: the `versioned` local of modules/storage/main.tf."""
    for block in load_hcl(MODULES_DIR / "storage" / "main.tf").get("locals", []):
        if "versioned" in block:
            return {k: bool(v) for k, v in unwrap(block["versioned"]).items()}
    raise KeyError("modules/storage/main.tf: no local `versioned`")


def readers(bindings: Sequence[Mapping[str, Any]], resource_type: str, resource: str) -> str:
    """Comma-separated principals holding any role on one resource."""
    found = {
        b["principal"] for b in bindings if b["resource_type"] == resource_type and b["resource"] == resource
    }
    return ", ".join(sorted(found))


def retention_tables() -> list[str]:
    """Per-environment retention of buckets and BigQuery partitions, from modules/platform's retention
    inputs (retention_days per layer, bucket_lifecycle, logs_retention_days): env root over defaults."""
    noncurrent = variable_default("storage", "noncurrent_versions_days")
    versioned = {"logs": False, **storage_versioning()}

    def days(n: int) -> str:
        return "-" if not n else f"{n} d"

    lines = [
        "| env | bucket | versioning | retention lock | coldline after | deleted after |",
        "|---|---|---|---|---|---|",
    ]
    dataset_lines = ["| env | dataset | partitions expire after |", "|---|---|---|"]
    for env in ENVS:
        overrides = platform_call(env)

        def setting(name: str, overrides: dict[str, Any] = overrides) -> Any:
            return overrides.get(name, variable_default("platform", name))

        retention, lifecycle = setting("retention_days"), setting("bucket_lifecycle")
        for bucket in ("raw", "staging", "quarantine", "logs"):
            r = lifecycle[bucket]
            deleted = setting("logs_retention_days") if bucket == "logs" else retention[bucket]
            version = f"yes (old versions kept {noncurrent} d)" if versioned[bucket] else "no"
            lines.append(
                f"| {env} | {bucket} | {version} | {days(r['locked_days'])} | {days(r['coldline_after_days'])} "
                f"| {days(deleted)} |"
            )
        for dataset in ("staging", "marts", "audit"):
            expiry = retention[dataset]
            dataset_lines.append(f"| {env} | caec_{env}_{dataset} | {days(expiry) if expiry else 'never'} |")
    return [*lines, "", *dataset_lines]


def render() -> str:
    """The whole governance document."""
    outputs = evaluate_names(PLACEHOLDERS)
    bindings: list[dict[str, Any]] = outputs["access_bindings"]
    platform = outputs["platform"]
    tags: dict[str, str] = outputs["pii_policy_tags"]
    groups = {env: read_tfvars(env).get("persona_groups", {}) for env in ENVS}
    audit_services = variable_default("audit_sink", "services")

    personas = [p for p in PERSONAS if any(b["principal"] == p for b in bindings)]
    accounts = [s for s in SERVICE_ACCOUNTS if any(b["principal"] == s for b in bindings)]
    missing = {b["principal"] for b in bindings} - set(personas) - set(accounts)
    if missing:
        raise ValueError(f"principals without a description in governance.py: {sorted(missing)}")

    persona_bindings = [b for b in bindings if b["principal_kind"] == "persona"]
    account_bindings = [b for b in bindings if b["principal_kind"] == "service_account"]
    env_cols = " | ".join(f"group ({env})" for env in ENVS)
    out: list[str] = [
        "# Governance: access, audit, data quality and personal data",
        "",
        "<!-- GENERATED by `make governance-doc` (terraform/scripts/governance.py) from the Terraform code:",
        "     terraform/modules/names/access.tf, the modules' HCL and the env roots terraform/envs/*.",
        "     Do not edit by hand; `make test-terraform` fails when this file drifts from the code. -->",
        "",
        "Access is granted to Google groups (one per persona) and to one GCP service account per workload,",
        "each grant on the one bucket, dataset, policy tag or repository it needs (`*_iam_member`, never",
        "project-wide owner/editor/viewer, never service-account keys). Names below are patterns: `<project>` and",
        "`<region>` are set in `terraform/envs/<env>/terraform.tfvars`, `<env>` is the env root's name",
        "(see docs/platform-names.md).",
        "",
        "## Personas",
        "",
        f"| persona | who | {env_cols} |",
        "|---|---|" + "---|" * len(ENVS),
    ]
    for p in personas:
        cells = " | ".join(f"`{groups[env].get(p, '(not set)')}`" for env in ENVS)
        out.append(f"| {p} | {PERSONAS[p]} | {cells} |")
    out += [
        "",
        "## Access matrix: persona x resource x role",
        "",
        "Roles without the `roles/` prefix. An empty cell means no access.",
        "",
        *access_grid(persona_bindings, personas),
        "",
        "### Persona grants and why",
        "",
        *grant_rows(persona_bindings, personas),
        "",
        "## Service accounts (workloads) x resource x role",
        "",
        "| key | used by | account |",
        "|---|---|---|",
    ]
    emails = outputs.get("service_account_emails") or {}
    for s in accounts:
        email = emails.get(s) or f"caec-{s.replace('_', '-')}-<env>@<project>.iam.gserviceaccount.com"
        out.append(f"| {s} | {SERVICE_ACCOUNTS[s]} | `{placeholder(email)}` |")
    out += [
        "",
        *access_grid(account_bindings, accounts),
        "",
        "### Service-account grants and why",
        "",
        *grant_rows(account_bindings, accounts),
        "",
        "### Workload Identity (who may act as each workload account)",
        "",
        "Exactly one Kubernetes service account may impersonate each workload's GCP service account",
        "(`roles/iam.workloadIdentityUser`); the chart `helm/caec-platform` creates these KSAs with the",
        "matching `iam.gke.io/gcp-service-account` annotation.",
        "",
        "| workload | KSA | GCP service account | member |",
        "|---|---|---|---|",
    ]
    for key, sa in platform["serviceAccounts"].items():
        member = f"serviceAccount:<project>.svc.id.goog[{sa['namespace']}/{sa['name']}]"
        out.append(f"| {key} | `{sa['namespace']}/{sa['name']}` | `{placeholder(sa['gsa'])}` | `{member}` |")
    out += [
        "",
        "### Other IAM bindings in the modules (fixed roles)",
        "",
        "| module | resource | role | member |",
        "|---|---|---|---|",
    ]
    for module, address, role, member in fixed_role_bindings():
        out.append(f"| {module} | `{address}` | `{role}` | `{member}` |")
    datasets = {k: placeholder(v) for k, v in platform["datasets"].items()}
    buckets = {k: placeholder(v) for k, v in platform["buckets"].items()}
    out += [
        "",
        "## How stewards audit access",
        "",
        f"The log sink `{outputs['audit_sink']}` (modules/audit_sink) routes the Cloud Audit Logs of "
        f"{', '.join(f'`{s}`' for s in audit_services)} into the dataset `{datasets['audit']}` as "
        "date-partitioned tables: `cloudaudit_googleapis_com_activity` (admin activity: IAM and config changes),",
        "`cloudaudit_googleapis_com_data_access` (reads and writes of tables and objects; Cloud Storage data",
        "access logging is switched on by the same module) and `cloudaudit_googleapis_com_policy` (denials).",
        "Stewards hold `bigquery.dataViewer` on that dataset only, and `iam.securityReviewer` to list who",
        "holds which role. Routine checks:",
        "",
        "1. Who read personal data (quarantine objects) in the last 7 days:",
        "",
        "```sql",
        "SELECT timestamp, protopayload_auditlog.authenticationInfo.principalEmail AS who,",
        "       protopayload_auditlog.methodName AS method, protopayload_auditlog.resourceName AS object",
        f"FROM `<project>.{datasets['audit']}.cloudaudit_googleapis_com_data_access`",
        "WHERE protopayload_auditlog.serviceName = 'storage.googleapis.com'",
        f"  AND protopayload_auditlog.resourceName LIKE 'projects/_/buckets/{buckets['quarantine']}/%'",
        "  AND timestamp >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 7 DAY)",
        "ORDER BY timestamp DESC",
        "```",
        "",
        "2. IAM changes (anything that is not in this document is drift: fix it in Terraform):",
        "",
        "```sql",
        "SELECT timestamp, protopayload_auditlog.authenticationInfo.principalEmail AS who,",
        "       protopayload_auditlog.resourceName AS resource, protopayload_auditlog.methodName AS method",
        f"FROM `<project>.{datasets['audit']}.cloudaudit_googleapis_com_activity`",
        "WHERE protopayload_auditlog.methodName LIKE '%SetIamPolicy'",
        "ORDER BY timestamp DESC",
        "```",
        "",
        "3. Compare the live policy with the matrix above: `gcloud projects get-iam-policy <project>` and",
        "   `gcloud storage buckets get-iam-policy gs://<bucket>`; `terraform plan` of the env root shows",
        "   any grant made outside Terraform that it would not keep (the `*_iam_member` grants are",
        "   additive, so extra grants must be removed by hand after review).",
        "",
        "## How stewards watch data quality",
        "",
        f"The dbt model `agg_data_quality_daily` in `{datasets['marts']}` has one row per day: records read,",
        "valid events (humans, bots, late arrivals), quarantined records by reason, the shares",
        "`quarantine_share`, `bot_share`, `late_share`, the Spark runs covering the day and",
        "`all_runs_reconciled` (every run's counts add up: read = valid + quarantined + filtered). The DAG's",
        "data-quality gate fails a run above the thresholds `CAEC_DQ_MAX_QUARANTINE_SHARE` (0.05),",
        "`CAEC_DQ_MAX_BOT_SHARE` (0.5) and `CAEC_DQ_MAX_LATE_SHARE` (0.1) (docs/platform-names.md).",
        "",
        "```sql",
        "SELECT date_day, records_read, quarantine_share, bot_share, late_share, runs, all_runs_reconciled",
        f"FROM `<project>.{datasets['marts']}.agg_data_quality_daily`",
        "WHERE date_day >= DATE_SUB(CURRENT_DATE(), INTERVAL 30 DAY)",
        "  AND (quarantine_share > 0.05 OR bot_share > 0.5 OR late_share > 0.1 OR NOT all_runs_reconciled)",
        "ORDER BY date_day DESC",
        "```",
        "",
        "A day with a high quarantine share is investigated in the quarantine bucket (reason, detail, raw",
        "record, source file and line per rejected record); stewards read it, data engineers fix the parser or",
        "the source, and the day is re-run (a re-run publishes new versions of exactly its partitions, so",
        "re-runs stay idempotent).",
        "",
        "## Personal data (PII)",
        "",
        "- Raw logs may hold clear IP addresses and URLs with personal data. The Spark job never writes a",
        "  clear IP: `visitor_id` is a salted hash (salt from a Secret, `CAEC_IDENTITY_SALT`).",
        "- Quarantined records keep the raw text for investigation, so the quarantine bucket is readable",
        f"  only by {readers(bindings, 'bucket', 'quarantine')}, and is deleted after its retention (below).",
        f"- BigQuery column-level security: the policy-tag taxonomy `{outputs['pii_taxonomy']}` (fine-grained access",
        "  control) has the tags below; dbt attaches them to the columns named here. Without",
        "  `datacatalog.categoryFineGrainedReader` on a tag, a query that selects its columns is denied, so",
        "  analysts query marts without those columns.",
        "",
        "| policy tag | meaning | columns | readers |",
        "|---|---|---|---|",
    ]
    for tag, meaning in tags.items():
        columns = PII_COLUMNS.get(tag, "(none yet)")
        out.append(f"| `{tag}` | {meaning} | {columns} | {readers(bindings, 'policy_tag', tag)} |")
    out += [
        "",
        "## Retention",
        "",
        "Lifecycle rules delete objects by age; a retention lock forbids deleting or overwriting an object",
        "before that age (GCS allows it only on unversioned buckets). Partition expiration drops BigQuery",
        "partitions by age (marts keep history; visitor-level staging rows do not outlive the staging files).",
        "Both come from one setting per layer, `retention_days` (raw, staging, quarantine, marts, audit) of",
        "`modules/platform`; docs/privacy.md states the policy and its local equivalent.",
        "",
        *retention_tables(),
        "",
    ]
    return placeholder("\n".join(out))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help=f"write {DOC_PATH.relative_to(REPO_ROOT)}")
    mode.add_argument("--check", action="store_true", help="exit 1 when the committed doc differs")
    args = parser.parse_args(argv)
    text = render()
    if args.write:
        DOC_PATH.write_text(text, encoding="utf-8")
        print(f">> wrote {DOC_PATH.relative_to(REPO_ROOT)}")
    elif args.check:
        current = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.is_file() else ""
        if current != text:
            sys.stdout.writelines(
                difflib.unified_diff(current.splitlines(True), text.splitlines(True), "committed", "code")
            )
            print(
                "!! docs/governance.md drifted from the Terraform code: run `make governance-doc`",
                file=sys.stderr,
            )
            return 1
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
