"""The dbt pod the KubernetesPodOperator builds (provider's build_pod_request_obj, no cluster)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import GKE_ENV, KIND_ENV, REPO_ROOT, run_context

from caec_airflow.dag_factory import build_clickstream_daily
from caec_pipeline.config import PipelineConfig
from caec_pipeline.steps import dbt_build_args, dbt_env
from caec_pipeline.window import DayWindow

pytestmark = pytest.mark.usefixtures("clean_caec_env")


def build_pod(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], **params: Any) -> Any:
    dag = build_clickstream_daily("kubernetes")
    op: Any = dag.get_task("dbt_build")
    assert op.image is None  # resolved at run time, not at parse
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    op.prepare(run_context("2026-11-02", "2026-11-03", **params))
    return op.build_pod_request_obj(dry_run=True)


def test_dbt_pod_image_identity_args_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    pod = build_pod(monkeypatch, GKE_ENV)
    cfg = PipelineConfig.from_env(GKE_ENV, repo_root=REPO_ROOT)
    (container,) = pod.spec.containers
    assert pod.metadata.namespace == "caec-jobs"
    assert pod.spec.service_account_name == "caec-dbt"
    assert container.image == "europe-west1-docker.pkg.dev/my-project/caec-dev/caec-dbt:0123abc"
    assert container.command == ["dbt"]
    from datetime import date

    assert container.args == dbt_build_args(cfg, DayWindow(date(2026, 11, 2), date(2026, 11, 3)))
    assert container.args[:2] == ["build", "--project-dir"]
    assert json.loads(container.args[container.args.index("--vars") + 1]) == {
        "start_date": "2026-11-02",
        "end_date": "2026-11-03",
    }
    assert container.args[container.args.index("--target") + 1] == "bigquery"
    assert {e.name: e.value for e in container.env} == dbt_env(cfg)
    assert pod.spec.priority_class_name == "caec-pipeline"
    assert pod.metadata.labels["app.kubernetes.io/name"] == "caec-dbt"


def test_dbt_pod_resources_and_restricted_security(monkeypatch: pytest.MonkeyPatch) -> None:
    pod = build_pod(monkeypatch, GKE_ENV)
    (container,) = pod.spec.containers
    assert container.resources.requests == {"cpu": "500m", "memory": "1Gi"}
    assert container.resources.limits == {"cpu": "2", "memory": "4Gi"}
    psc, csc = pod.spec.security_context, container.security_context
    assert psc.run_as_non_root is True and psc.run_as_user == 1000
    assert psc.seccomp_profile.type == "RuntimeDefault"
    assert csc.run_as_non_root is True
    assert csc.allow_privilege_escalation is False
    assert csc.privileged is False
    assert csc.capabilities.drop == ["ALL"]
    assert csc.seccomp_profile.type == "RuntimeDefault"
    assert pod.spec.restart_policy == "Never"


def test_dbt_pod_backfill_range_and_shared_volume(monkeypatch: pytest.MonkeyPatch) -> None:
    pod = build_pod(monkeypatch, KIND_ENV, start="2026-10-01", end="2026-10-08")
    (container,) = pod.spec.containers
    assert json.loads(container.args[container.args.index("--vars") + 1]) == {
        "start_date": "2026-10-01",
        "end_date": "2026-10-08",
    }
    assert container.args[container.args.index("--target") + 1] == "local"
    assert [v.persistent_volume_claim.claim_name for v in pod.spec.volumes] == ["caec-data"]
    assert [(m.name, m.mount_path) for m in container.volume_mounts] == [("caec-data", "/data")]
    assert container.image == "caec/caec-dbt:e2e"


def test_dbt_pod_carries_the_policy_tag_ids_of_the_configmap(monkeypatch: pytest.MonkeyPatch) -> None:
    """CAEC_BQ_POLICY_TAGS (ConfigMap, from Terraform's pii_policy_tag_ids) reaches dbt's environment,
    where the models' policy_tags read it; without it dbt still gets a JSON object."""
    tags = {"pseudonymous_id": "projects/my-project/locations/eu/taxonomies/1/policyTags/2"}
    pod = build_pod(monkeypatch, {**GKE_ENV, "CAEC_BQ_POLICY_TAGS": json.dumps(tags)})
    (container,) = pod.spec.containers
    assert json.loads({e.name: e.value for e in container.env}["CAEC_BQ_POLICY_TAGS"]) == tags
    (container,) = build_pod(monkeypatch, {**GKE_ENV, "CAEC_BQ_POLICY_TAGS": ""}).spec.containers
    assert {e.name: e.value for e in container.env}["CAEC_BQ_POLICY_TAGS"] == "{}"
