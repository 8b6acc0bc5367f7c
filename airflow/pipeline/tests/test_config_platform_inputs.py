"""PipelineConfig's two settings that come from Terraform outside the names: PII policy tag ids
(CAEC_BQ_POLICY_TAGS, from the env root's state at deploy time) and retention days per layer
(CAEC_RETENTION_DAYS, from modules/platform retention_days through the platform values)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from caec_pipeline.config import ConfigError, PipelineConfig
from caec_pipeline.retention import parse_retention_days
from caec_pipeline.steps import dbt_env

ROOT = Path(__file__).resolve().parents[3]
TAGS = {
    "pseudonymous_id": "projects/my-project/locations/eu/taxonomies/123/policyTags/456",
    "raw_record": "projects/my-project/locations/eu/taxonomies/123/policyTags/789",
}
# What the chart renders from platform.retentionDays (dev's days).
DAYS = {"raw": 30, "staging": 30, "quarantine": 30, "marts": 90, "audit": 90}


def test_policy_tags_are_read_round_trip_and_reach_dbt() -> None:
    cfg = PipelineConfig.from_env({"CAEC_BQ_POLICY_TAGS": json.dumps(TAGS)}, repo_root=ROOT)
    assert cfg.policy_tags == TAGS
    assert json.loads(cfg.to_env()["CAEC_BQ_POLICY_TAGS"]) == TAGS
    assert PipelineConfig.from_env(cfg.to_env(), repo_root=ROOT) == cfg
    assert json.loads(dbt_env(cfg)["CAEC_BQ_POLICY_TAGS"]) == TAGS


def test_no_policy_tags_locally_and_dbt_still_gets_a_json_object() -> None:
    cfg = PipelineConfig.from_env({}, repo_root=ROOT)
    assert cfg.policy_tags == {} and cfg.to_env()["CAEC_BQ_POLICY_TAGS"] == ""
    # dbt's YAML runs fromjson(env_var('CAEC_BQ_POLICY_TAGS', '{}')): "" would not parse.
    assert dbt_env(cfg)["CAEC_BQ_POLICY_TAGS"] == "{}"


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ("{", "not valid JSON"),
        ('["x"]', "not a JSON object"),
        ('{"pseudonymous_id": "caec-dev-pii/pseudonymous_id"}', "projects/"),
        ('{"pseudonymous_id": 5}', "projects/"),
    ],
)
def test_bad_policy_tags_name_the_variable_and_fix(raw: str, needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        PipelineConfig.from_env({"CAEC_BQ_POLICY_TAGS": raw}, repo_root=ROOT)
    assert "CAEC_BQ_POLICY_TAGS" in str(err.value) and needle in str(err.value), str(err.value)


def test_retention_days_are_read_and_round_trip_with_retentions_parser() -> None:
    cfg = PipelineConfig.from_env({"CAEC_RETENTION_DAYS": json.dumps(DAYS)}, repo_root=ROOT)
    assert cfg.retention == DAYS
    raw = cfg.to_env()["CAEC_RETENTION_DAYS"]
    # caec_pipeline.retention (what `make run` applies) reads the very string the config writes.
    assert parse_retention_days(raw) == DAYS
    assert PipelineConfig.from_env(cfg.to_env(), repo_root=ROOT) == cfg
    assert PipelineConfig.from_env({}, repo_root=ROOT).to_env()["CAEC_RETENTION_DAYS"] == ""


@pytest.mark.parametrize(
    ("raw", "needle"), [('{"raw": -1}', "whole days"), ('{"rawz": 1}', "unknown layers")]
)
def test_bad_retention_days_fail_at_start_up(raw: str, needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        PipelineConfig.from_env({"CAEC_RETENTION_DAYS": raw}, repo_root=ROOT)
    assert "CAEC_RETENTION_DAYS" in str(err.value) and needle in str(err.value), str(err.value)
