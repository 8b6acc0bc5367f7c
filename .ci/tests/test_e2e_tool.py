"""Unit tests of .ci/e2e/e2e_tool.py: rendering, offline validation, the pipeline-config contract,
and the output assertions the e2e run ends with (on a real DuckDB file)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
import yaml
from conftest import ROOT
from e2e_tool import (
    E2EError,
    PipelineExpectation,
    check_kind_cluster,
    check_pipeline_config,
    dag_config_problems,
    generated_day,
    load_documents,
    main,
    manifest_problems,
    output_problems,
    parse_vars,
    render,
    validate_documents,
)

MANIFESTS = ROOT / ".ci" / "e2e" / "manifests"
VARS = {
    "CLUSTER_NAME": "caec-e2e",
    "NODE_IMAGE": "kindest/node:v1.35.0",
    "HOST_DATA_DIR": "/tmp/x/data",
    "NODE_DATA_DIR": "/caec-data",
    "AIRFLOW_NAMESPACE": "caec-airflow",
    "JOBS_NAMESPACE": "caec-jobs",
    "PLATFORM_RELEASE": "caec-platform",
    "PLATFORM_RELEASE_NAMESPACE": "caec-airflow",
    "CLAIM_NAME": "caec-data",
    "STORAGE_CLASS": "caec-e2e-shared",
    "STORAGE_SIZE": "5Gi",
}


def rendered(name: str) -> list[dict]:
    return load_documents(render((MANIFESTS / f"{name}.yaml").read_text(), VARS))


def test_render_is_strict() -> None:
    assert render("a: ${X}", {"X": "1"}) == "a: 1"
    with pytest.raises(E2EError, match=r"\$\{Y\}"):
        render("a: ${Y}", {})
    assert parse_vars(["A=b=c"]) == {"A": "b=c"}
    with pytest.raises(E2EError):
        parse_vars(["nope"])


def test_every_placeholder_in_the_templates_is_supplied() -> None:
    """The script passes VARS' keys; a template asking for anything else would fail at run time."""
    script = (ROOT / ".ci" / "e2e" / "e2e-kind.sh").read_text()
    passed = set(re.findall(r'--var "([A-Z_]+)=', script))
    assert passed == set(VARS)
    for path in MANIFESTS.glob("*.yaml"):
        assert set(re.findall(r"\$\{([A-Z_]+)\}", path.read_text())) <= passed, path.name


def test_storage_manifests_are_valid_kubernetes() -> None:
    docs = rendered("namespaces") + rendered("shared-storage")
    assert validate_documents(docs, "1.35.0") == []
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == [
        "Namespace",
        "Namespace",
        "PersistentVolume",
        "PersistentVolume",
        "PersistentVolumeClaim",
        "PersistentVolumeClaim",
    ]


def test_claims_bind_to_their_own_hostpath_volumes() -> None:
    docs = rendered("shared-storage")
    pvs = {d["metadata"]["name"]: d for d in docs if d["kind"] == "PersistentVolume"}
    pvcs = [d for d in docs if d["kind"] == "PersistentVolumeClaim"]
    assert {c["metadata"]["namespace"] for c in pvcs} == {"caec-jobs", "caec-airflow"}
    for claim in pvcs:
        assert claim["metadata"]["name"] == "caec-data"  # CAEC_SHARED_VOLUME_CLAIM
        pv = pvs[claim["spec"]["volumeName"]]
        assert pv["spec"]["claimRef"] == {"namespace": claim["metadata"]["namespace"], "name": "caec-data"}
        assert pv["spec"]["hostPath"]["path"] == "/caec-data"
        assert pv["spec"]["storageClassName"] == claim["spec"]["storageClassName"] == "caec-e2e-shared"
        assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"


def test_namespaces_are_adoptable_by_the_platform_release() -> None:
    for ns in rendered("namespaces"):
        assert ns["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"
        assert ns["metadata"]["annotations"]["meta.helm.sh/release-name"] == "caec-platform"
        assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_kind_config_mounts_the_data_dir() -> None:
    (cluster,) = rendered("kind-cluster")
    assert check_kind_cluster(cluster) == []
    mount = cluster["nodes"][0]["extraMounts"][0]
    assert mount == {"hostPath": "/tmp/x/data", "containerPath": "/caec-data"}
    assert len(cluster["nodes"]) == 1  # hostPath sharing needs a single node


def test_validation_rejects_broken_objects() -> None:
    bad_pvc = yaml.safe_load(
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: x}\n"
        "spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}, volumeNam: typo}\n"
    )
    assert validate_documents([bad_pvc], "1.35.0")
    bad_kind = {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "nodes": [{"role": "control-plane", "extraMounts": [{"hostPath": "rel/dir", "containerPath": "/d"}]}],
    }
    assert any("absolute" in p for p in validate_documents([bad_kind], "1.35.0"))


def configmap(**data: str) -> list[dict]:
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "caec-pipeline-config"}, "data": data}
    ]


def test_pipeline_config_contract() -> None:
    want = PipelineExpectation(claim="caec-data", data_dir="/caec-data")
    good = configmap(
        CAEC_MODE="kubernetes",
        CAEC_SHARED_VOLUME_CLAIM="caec-data",
        CAEC_DBT_TARGET="local",
        CAEC_DATA_DIR="/caec-data",
    )
    assert check_pipeline_config(good, want) == []
    bad = configmap(CAEC_MODE="local", CAEC_SHARED_VOLUME_CLAIM="", CAEC_DBT_TARGET="bigquery")
    assert len(check_pipeline_config(bad, want)) == 4
    assert check_pipeline_config([], want) == ["expected exactly one ConfigMap caec-pipeline-config, found 0"]


PIPELINE_SRC = ROOT / "airflow" / "pipeline" / "src"


def test_dag_config_validation_uses_the_dags_own_config() -> None:
    if not (PIPELINE_SRC / "caec_pipeline" / "config.py").is_file():
        pytest.skip("airflow/pipeline (caec_pipeline) does not exist yet")
    good = configmap(
        CAEC_MODE="kubernetes",
        CAEC_SHARED_VOLUME_CLAIM="caec-data",
        CAEC_DBT_TARGET="local",
        CAEC_DATA_DIR="/caec-data",
        CAEC_IMAGE_TAG="abc",
    )
    assert dag_config_problems(good, PIPELINE_SRC) == []
    # kubernetes mode on local paths without a shared claim: the DAG's config refuses it
    bad = configmap(CAEC_MODE="kubernetes", CAEC_DBT_TARGET="local", CAEC_DATA_DIR="/caec-data")
    problems = dag_config_problems(bad, PIPELINE_SRC)
    assert len(problems) == 1 and "CAEC_SHARED_VOLUME_CLAIM" in problems[0]


def test_generated_day(tmp_path: Path) -> None:
    with pytest.raises(E2EError, match="no raw data"):
        generated_day(tmp_path / "raw")
    (tmp_path / "raw" / "dt=2026-03-04").mkdir(parents=True)
    (tmp_path / "raw" / "_SUCCESS").mkdir()
    assert generated_day(tmp_path / "raw") == "2026-03-04"


GOOD_COUNTS = {"read": 10, "valid": 8, "quarantined": 1, "filtered": 1, "human": 6, "bot": 2}


def test_manifest_invariants() -> None:
    assert manifest_problems({"reconciled": True, "counts": GOOD_COUNTS}) == []
    broken = {**GOOD_COUNTS, "filtered": 0}
    assert any("read 10" in p for p in manifest_problems({"reconciled": True, "counts": broken}))
    assert any(
        "human + bot" in p
        for p in manifest_problems({"reconciled": True, "counts": {**GOOD_COUNTS, "bot": 1}})
    )
    assert manifest_problems({"reconciled": False, "counts": GOOD_COUNTS}) == [
        "manifest says reconciled != true"
    ]
    assert any("lack" in p for p in manifest_problems({"reconciled": True, "counts": {}}))


def write_run(data: Path, day: str, marts: dict[str, int], counts: dict[str, int] = GOOD_COUNTS) -> None:
    manifests = data / "staging" / "manifests"
    manifests.mkdir(parents=True)
    (manifests / "run_id=r1.json").write_text(
        json.dumps(
            {"run_id": "r1", "window": {"start": day, "end": day}, "counts": counts, "reconciled": True}
        )
    )
    (data / "warehouse").mkdir()
    con = duckdb.connect(str(data / "warehouse" / "caec.duckdb"))
    con.execute("create schema caec_local_marts")
    for table, rows in marts.items():
        con.execute(f"create table caec_local_marts.{table} as select range as x from range({rows})")
    con.close()


def test_outputs_pass_on_a_good_run(tmp_path: Path) -> None:
    write_run(tmp_path, "2026-01-15", {"fct_sessions": 5, "agg_daily_traffic": 1})
    assert output_problems(tmp_path, "2026-01-15") == []
    assert main(["check-outputs", "--data-dir", str(tmp_path), "--day", "2026-01-15"]) == 0


def test_outputs_fail_on_an_empty_mart(tmp_path: Path) -> None:
    write_run(tmp_path, "2026-01-15", {"fct_sessions": 5, "agg_daily_traffic": 0})
    assert output_problems(tmp_path, "2026-01-15") == ["mart caec_local_marts.agg_daily_traffic is empty"]


def test_outputs_fail_without_marts_or_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_run(tmp_path, "2026-01-15", {})
    assert output_problems(tmp_path, "2026-01-15") == ["no mart tables found (schemas matching '%marts%')"]
    assert main(["check-outputs", "--data-dir", str(tmp_path), "--day", "2026-02-01"]) == 1
    assert "no run manifest covering 2026-02-01" in capsys.readouterr().err


def test_duckdb_pin_matches_dbt() -> None:
    """The e2e assertions open the warehouse dbt wrote: same DuckDB release as dbt/ (storage format)."""
    dbt_lock = ROOT / "dbt" / "requirements.lock"
    if not dbt_lock.exists():
        pytest.skip("dbt/requirements.lock does not exist yet")
    pin = re.compile(r"^duckdb==(\S+)", re.M)
    ours = pin.search((ROOT / ".ci" / "requirements.lock").read_text())
    theirs = pin.search(dbt_lock.read_text())
    assert ours and theirs and ours.group(1) == theirs.group(1)
