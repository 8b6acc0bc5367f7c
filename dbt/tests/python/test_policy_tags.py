"""PII policy tags on the BigQuery target: every column holding a visitor or session key carries the tag.

`dbt parse --target bigquery_offline` (no credentials) with CAEC_BQ_POLICY_TAGS set the way the platform
sets it (JSON: tag key of terraform/modules/names -> the tag's resource name, Terraform output
pii_policy_tag_ids). The columns to check are the real output columns of every table-materialized model,
read from the DuckDB build of the fixture, so an undocumented visitor column fails too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import DbtRunner

REPO = Path(__file__).resolve().parents[3]
NAMES_ACCESS_TF = REPO / "terraform" / "modules" / "names" / "access.tf"
# Which tag protects which visitor-data column (names as the Spark contract and the marts spell them).
TAG_OF_COLUMN = {
    "pseudonymous_id": re.compile(r"^(\w+_)?(visitor|session)_id$"),
    "raw_record": re.compile(r"^(user_agent|raw)$"),
}
UNTAGGABLE = {"view", "ephemeral"}  # BigQuery has no policy tags on views; they read tagged tables


def terraform_tag_keys() -> list[str]:
    """Keys of `pii_policy_tags` in modules/names (the tags Terraform creates), read from the HCL."""
    block = re.search(r"pii_policy_tags\s*=\s*\{(.*?)\n\s*\}", NAMES_ACCESS_TF.read_text(), re.S)
    assert block, f"no pii_policy_tags map in {NAMES_ACCESS_TF}"
    return re.findall(r"^\s*(\w+)\s*=", block.group(1), re.M)


def tag_ids(keys: list[str]) -> dict[str, str]:
    """Resource names shaped like Terraform's google_data_catalog_policy_tag ids."""
    return {
        k: f"projects/caec-ci/locations/eu/taxonomies/101/policyTags/{200 + i}" for i, k in enumerate(keys)
    }


def required_tag(column: str) -> str | None:
    return next((tag for tag, pattern in TAG_OF_COLUMN.items() if pattern.match(column)), None)


@pytest.fixture(scope="module")
def manifest(run_dbt: DbtRunner, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    target = tmp_path_factory.mktemp("bq-parse")
    env = {"CAEC_GCP_PROJECT": "caec-ci", "CAEC_BQ_POLICY_TAGS": json.dumps(tag_ids(terraform_tag_keys()))}
    run_dbt(["parse", "--target", "bigquery_offline", "--no-partial-parse"], env, target_path=target)
    return json.loads((target / "manifest.json").read_text())


def test_tag_keys_are_the_ones_terraform_creates() -> None:
    assert set(TAG_OF_COLUMN) == set(terraform_tag_keys())


def test_every_visitor_column_of_a_table_carries_its_tag(manifest: dict[str, Any], full_build: Path) -> None:
    ids = tag_ids(terraform_tag_keys())
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    with duckdb.connect(str(full_build), read_only=True) as con:
        columns = con.execute("select table_name, column_name from information_schema.columns").fetchall()
    actual: dict[str, list[str]] = {}
    for table, column in columns:
        actual.setdefault(table, []).append(column)

    checked, problems = 0, []
    for name, node in sorted(models.items()):
        declared = {c: col.get("policy_tags") or [] for c, col in node["columns"].items()}
        if node["config"]["materialized"] in UNTAGGABLE:
            problems += [
                f"{name}.{c}: a view cannot carry policy tags" for c, tags in declared.items() if tags
            ]
            continue
        assert name in actual, f"{name} is missing from the DuckDB build"
        for column in actual[name]:
            tag = required_tag(column)
            want = [ids[tag]] if tag else []
            if declared.get(column, []) != want:
                problems.append(f"{name}.{column}: policy_tags {declared.get(column)} != {want}")
            checked += bool(tag)
    assert not problems, "\n".join(problems)
    assert checked >= 9, f"only {checked} visitor columns found: did the models or the fixture change?"


def test_without_the_platform_setting_no_real_tag_is_invented(
    run_dbt: DbtRunner, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No retyped tag id: without CAEC_BQ_POLICY_TAGS the tags render empty (BigQuery then rejects the build)."""
    target = tmp_path_factory.mktemp("bq-parse-unset")
    run_dbt(["parse", "--target", "bigquery_offline", "--no-partial-parse"], {}, target_path=target)
    nodes = json.loads((target / "manifest.json").read_text())["nodes"].values()
    tags = {
        t
        for n in nodes
        if n["resource_type"] == "model"
        for c in n["columns"].values()
        for t in c.get("policy_tags") or []
    }
    assert tags == {""}
