"""Generate docs/governance.md from the Terraform code: access matrix, audit, data quality, PII, retention.

Usage: governance.py [--write | --check]   (default: print to stdout)

Sources, all read here, none retyped:
- the access policy in terraform/modules/names/access.tf, evaluated with real terraform (offline) with
  placeholder inputs, so physical names appear as patterns such as <project>-caec-<env>-raw;
- the persona groups and the retention settings in envs/<env>/terraform.tfvars, falling back to the
  defaults of modules/platform's (and the storage module's) variables;
- every IAM resource with a fixed role in terraform/modules (Workload Identity, the audit sink writer,
  GitHub federation), found by parsing the HCL;
- the data-quality thresholds of the chart's values (helm/caec-platform/values.yaml, pipeline.dq).

The rows of every table are built here; the Markdown around them is the Jinja template
scripts/templates/governance.md.j2.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypedDict

import jinja2
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tfcontract import (
    ENVS,
    MODULES_DIR,
    REPO_ROOT,
    env_inputs,
    evaluate_names,
    load_hcl,
    read_tfvars,
    resources,
    unwrap,
)

DOC_PATH = REPO_ROOT / "docs" / "governance.md"
DOC_TEMPLATE = "governance.md.j2"
# Markdown, not HTML: nothing to escape; every table row is built here, the prose is in the template.
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)
# The chart's defaults: the data-quality thresholds the doc quotes are the ones the ConfigMap carries.
CHART_VALUES = REPO_ROOT / "helm" / "caec-platform" / "values.yaml"

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


class Table(TypedDict):
    """A Markdown table for the template's `table` macro: header cells and rows of cells."""

    header: list[str]
    rows: list[list[str]]


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    """A table whose rows have exactly as many cells as the header."""
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"row {row} has {len(row)} cells for the {len(header)} columns {header}")
    return {"header": list(header), "rows": [list(row) for row in rows]}


def placeholder(text: str) -> str:
    """Replace the placeholder inputs by <project>/<region>/<env>."""
    for value, name in PLACEHOLDER_TEXT.items():
        text = text.replace(value, name)
    return text


def short_role(role: str) -> str:
    """roles/storage.objectViewer -> storage.objectViewer (the grid stays readable)."""
    return role.removeprefix("roles/")


def access_grid(bindings: Sequence[Mapping[str, Any]], principals: Sequence[str]) -> Table:
    """Grid: one row per principal, one column per resource, cells list the roles."""
    used = [c for c in COLUMNS if any((b["resource_type"], b["resource"]) == c for b in bindings)]
    unknown = {(b["resource_type"], b["resource"]) for b in bindings} - set(COLUMNS)
    if unknown:
        raise ValueError(
            f"access policy names resources the governance doc has no column for: {sorted(unknown)}"
        )
    rows = []
    for principal in principals:
        cells = []
        for column in used:
            roles = sorted(
                short_role(b["role"])
                for b in bindings
                if b["principal"] == principal and (b["resource_type"], b["resource"]) == column
            )
            cells.append("<br>".join(roles))
        rows.append([principal, *cells])
    return table(["principal", *(COLUMN_TITLES[c] for c in used)], rows)


def grant_rows(bindings: Sequence[Mapping[str, Any]], principals: Sequence[str]) -> Table:
    """Every grant with its physical resource and the reason."""
    order = {p: i for i, p in enumerate(principals)}
    rows = [
        [
            b["principal"],
            f"{b['resource_type']} `{b['resource']}`",
            f"`{placeholder(b['resource_name'])}`",
            f"`{b['role']}`",
            b["why"],
        ]
        for b in sorted(
            bindings, key=lambda b: (order[b["principal"]], b["resource_type"], b["resource"], b["role"])
        )
    ]
    return table(["principal", "resource", "name", "role", "why"], rows)


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


def retention_tables() -> tuple[Table, Table]:
    """Per-environment retention of buckets and BigQuery partitions, from modules/platform's retention
    inputs (retention_days per layer, bucket_lifecycle, logs_retention_days): the env's tfvars over the defaults."""
    noncurrent = variable_default("storage", "noncurrent_versions_days")
    versioned = {"logs": False, **storage_versioning()}

    def days(n: int) -> str:
        return "-" if not n else f"{n} d"

    bucket_rows, dataset_rows = [], []
    for env in ENVS:
        overrides = env_inputs(env)

        def setting(name: str, overrides: dict[str, Any] = overrides) -> Any:
            return overrides.get(name, variable_default("platform", name))

        retention, lifecycle = setting("retention_days"), setting("bucket_lifecycle")
        for bucket in ("raw", "staging", "quarantine", "logs"):
            r = lifecycle[bucket]
            deleted = setting("logs_retention_days") if bucket == "logs" else retention[bucket]
            version = f"yes (old versions kept {noncurrent} d)" if versioned[bucket] else "no"
            bucket_rows.append(
                [env, bucket, version, days(r["locked_days"]), days(r["coldline_after_days"]), days(deleted)]
            )
        for dataset in ("staging", "marts", "audit"):
            expiry = retention[dataset]
            dataset_rows.append([env, f"caec_{env}_{dataset}", days(expiry) if expiry else "never"])
    return (
        table(
            ["env", "bucket", "versioning", "retention lock", "coldline after", "deleted after"], bucket_rows
        ),
        table(["env", "dataset", "partitions expire after"], dataset_rows),
    )


def dq_thresholds() -> dict[str, str]:
    """The data-quality gate's thresholds as the chart sets them (pipeline.dq of its values.yaml, which
    the ConfigMap turns into CAEC_DQ_MAX_*_SHARE)."""
    values = yaml.safe_load(CHART_VALUES.read_text(encoding="utf-8"))
    dq = values["pipeline"]["dq"]
    return {key: str(dq[key]) for key in ("maxQuarantineShare", "maxBotShare", "maxLateShare")}


def render() -> str:
    """The whole governance document."""
    outputs = evaluate_names(PLACEHOLDERS)
    bindings: list[dict[str, Any]] = outputs["access_bindings"]
    platform = outputs["platform"]
    tags: dict[str, str] = outputs["pii_policy_tags"]
    groups = {env: read_tfvars(env).get("persona_groups", {}) for env in ENVS}

    personas = [p for p in PERSONAS if any(b["principal"] == p for b in bindings)]
    accounts = [s for s in SERVICE_ACCOUNTS if any(b["principal"] == s for b in bindings)]
    missing = {b["principal"] for b in bindings} - set(personas) - set(accounts)
    if missing:
        raise ValueError(f"principals without a description in governance.py: {sorted(missing)}")

    persona_bindings = [b for b in bindings if b["principal_kind"] == "persona"]
    account_bindings = [b for b in bindings if b["principal_kind"] == "service_account"]
    emails = outputs.get("service_account_emails") or {}
    bucket_retention, dataset_retention = retention_tables()
    context = {
        "personas": table(
            ["persona", "who", *(f"group ({env})" for env in ENVS)],
            [[p, PERSONAS[p], *(f"`{groups[env].get(p, '(not set)')}`" for env in ENVS)] for p in personas],
        ),
        "persona_grid": access_grid(persona_bindings, personas),
        "persona_grants": grant_rows(persona_bindings, personas),
        "accounts": table(
            ["key", "used by", "account"],
            [
                [
                    s,
                    SERVICE_ACCOUNTS[s],
                    "`"
                    + placeholder(
                        emails.get(s) or f"caec-{s.replace('_', '-')}-<env>@<project>.iam.gserviceaccount.com"
                    )
                    + "`",
                ]
                for s in accounts
            ],
        ),
        "account_grid": access_grid(account_bindings, accounts),
        "account_grants": grant_rows(account_bindings, accounts),
        "workload_identity": table(
            ["workload", "KSA", "GCP service account", "member"],
            [
                [
                    key,
                    f"`{sa['namespace']}/{sa['name']}`",
                    f"`{placeholder(sa['gsa'])}`",
                    f"`serviceAccount:<project>.svc.id.goog[{sa['namespace']}/{sa['name']}]`",
                ]
                for key, sa in platform["serviceAccounts"].items()
            ],
        ),
        "fixed_bindings": table(
            ["module", "resource", "role", "member"],
            [
                [module, f"`{address}`", f"`{role}`", f"`{member}`"]
                for module, address, role, member in fixed_role_bindings()
            ],
        ),
        "audit_sink": outputs["audit_sink"],
        "audit_services": variable_default("audit_sink", "services"),
        "datasets": {k: placeholder(v) for k, v in platform["datasets"].items()},
        "buckets": {k: placeholder(v) for k, v in platform["buckets"].items()},
        "dq": dq_thresholds(),
        "quarantine_readers": readers(bindings, "bucket", "quarantine"),
        "pii_taxonomy": outputs["pii_taxonomy"],
        "policy_tags": table(
            ["policy tag", "meaning", "columns", "readers"],
            [
                [
                    f"`{tag}`",
                    meaning,
                    PII_COLUMNS.get(tag, "(none yet)"),
                    readers(bindings, "policy_tag", tag),
                ]
                for tag, meaning in tags.items()
            ],
        ),
        "bucket_retention": bucket_retention,
        "dataset_retention": dataset_retention,
    }
    return placeholder(TEMPLATES.get_template(DOC_TEMPLATE).render(context))


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
