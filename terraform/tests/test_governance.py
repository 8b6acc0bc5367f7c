"""docs/governance.md is generated from the Terraform code and must not drift from it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import governance
import pytest
import yaml


@pytest.fixture(scope="module")
def rendered() -> str:
    return governance.render()


def test_committed_doc_matches_the_code(rendered: str) -> None:
    current = governance.DOC_PATH.read_text(encoding="utf-8") if governance.DOC_PATH.is_file() else ""
    assert current == rendered, (
        "docs/governance.md drifted from the Terraform code: run `make governance-doc`"
    )


def test_every_grant_of_the_policy_is_in_the_doc(
    rendered: str, env_outputs: dict[str, dict[str, Any]]
) -> None:
    for binding in env_outputs["dev"]["access_bindings"]:
        row = f"| {binding['principal']} | {binding['resource_type']} `{binding['resource']}` |"
        assert row in rendered and f"`{binding['role']}`" in rendered, (
            f"grant {binding['key']} missing from the doc"
        )


def test_matrix_covers_all_personas(rendered: str) -> None:
    for persona in ("platform_engineer", "data_engineer", "analyst", "data_steward"):
        assert f"\n| {persona} |" in rendered


def test_analysts_cannot_read_pii_or_buckets(env_outputs: dict[str, dict[str, Any]]) -> None:
    analyst = [b for b in env_outputs["prod"]["access_bindings"] if b["principal"] == "analyst"]
    assert analyst, "analysts need access to the marts"
    assert {b["resource_type"] for b in analyst} <= {"dataset", "project"}
    assert {b["resource"] for b in analyst if b["resource_type"] == "dataset"} == {"marts"}


def test_pii_readers_are_stewards_and_dbt_only(env_outputs: dict[str, dict[str, Any]]) -> None:
    readers = {
        b["principal"] for b in env_outputs["prod"]["access_bindings"] if b["resource_type"] == "policy_tag"
    }
    assert readers == {"data_steward", "dbt"}


def test_unknown_resources_fail_loudly() -> None:
    with pytest.raises(ValueError, match="no column"):
        governance.access_grid(
            [
                {
                    "principal": "x",
                    "resource_type": "bucket",
                    "resource": "new",
                    "role": "roles/storage.objectViewer",
                }
            ],
            ["x"],
        )


def test_dq_thresholds_come_from_the_chart_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The thresholds the doc quotes are the chart's pipeline.dq (what the ConfigMap carries), not typed
    into the generator."""
    values = yaml.safe_load(governance.CHART_VALUES.read_text(encoding="utf-8"))
    values["pipeline"]["dq"] = {"maxQuarantineShare": "0.07", "maxBotShare": "0.45", "maxLateShare": "0.2"}
    chart_values = tmp_path / "values.yaml"
    chart_values.write_text(yaml.safe_dump(values), encoding="utf-8")
    monkeypatch.setattr(governance, "CHART_VALUES", chart_values)
    text = governance.render()
    assert "`CAEC_DQ_MAX_QUARANTINE_SHARE` (0.07)" in text
    assert "`CAEC_DQ_MAX_BOT_SHARE` (0.45) and `CAEC_DQ_MAX_LATE_SHARE` (0.2)" in text
    assert "(quarantine_share > 0.07 OR bot_share > 0.45 OR late_share > 0.2 OR" in text
