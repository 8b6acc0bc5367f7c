"""caec-platform: lint, render per environment, Kubernetes schemas, names, RBAC, security, strict values."""

from __future__ import annotations

import json
from typing import Any

import kubernetes_validate
import pytest
from helmlib import (
    CHART,
    ROOT,
    kube_version,
    load_yaml,
    platform_envs,
    platform_value_files,
    render_platform,
    run_helm,
)

ENVS = platform_envs()
RESTRICTED = "restricted"
SECRET_KEYS = {"CAEC_IDENTITY_SALT"}  # from a Secret, never in the ConfigMap


def objects(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def one(docs: list[dict[str, Any]], kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
    found = [
        d
        for d in objects(docs, kind)
        if d["metadata"]["name"] == name
        and (namespace is None or d["metadata"].get("namespace") == namespace)
    ]
    assert len(found) == 1, f"expected one {kind} {namespace}/{name}, found {len(found)}"
    return found[0]


def platform(env: str) -> dict[str, Any]:
    return load_yaml(platform_value_files(env)[0])["platform"]


def contract_config_keys() -> set[str]:
    """The ConfigMap's keys as generated from caec_pipeline.config's declarations (`make settings`;
    airflow/pipeline/tests/test_settings.py fails while this file is out of date)."""
    keys = load_yaml(CHART / "files" / "pipeline-config.yaml")
    assert keys and all(k.startswith("CAEC_") for k in keys), keys
    return set(keys)


def test_example_and_kind_platform_files_exist() -> None:
    assert {"example", "kind"} <= set(ENVS), ENVS


@pytest.mark.parametrize("env", ENVS)
def test_helm_lint_strict(env: str) -> None:
    args = ["lint", "--strict", str(CHART)]
    for f in platform_value_files(env):
        args += ["-f", str(f)]
    run_helm(*args)


@pytest.mark.parametrize("env", ENVS)
def test_every_object_validates_against_kubernetes_schema(
    env: str, rendered: dict[str, list[dict[str, Any]]]
) -> None:
    docs = rendered[env]
    assert len(docs) >= 20
    errors = []
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, kube_version(), strict=True)
        except kubernetes_validate.ValidationError as e:
            errors.append(
                f"{doc['kind']}/{doc['metadata']['name']}: {'.'.join(map(str, e.path))}: {e.message}"
            )
        except kubernetes_validate.SchemaNotFoundError as e:
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: no schema ({e.message})")
    assert not errors, "\n".join(errors)


def test_kubernetes_validation_really_rejects_bad_objects() -> None:
    bad = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "x"},
        "data": {"k": 1},
        "extra": True,
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, kube_version(), strict=True)


@pytest.mark.parametrize("env", ENVS)
def test_namespaces_have_restricted_pod_security(env: str, rendered: dict[str, list[dict[str, Any]]]) -> None:
    names = {d["metadata"]["name"]: d["metadata"]["labels"] for d in objects(rendered[env], "Namespace")}
    assert set(names) == set(platform(env)["namespaces"].values())
    for labels in names.values():
        assert labels["pod-security.kubernetes.io/enforce"] == RESTRICTED
        assert labels["pod-security.kubernetes.io/warn"] == RESTRICTED


@pytest.mark.parametrize("env", ENVS)
def test_service_accounts_carry_workload_identity(
    env: str, rendered: dict[str, list[dict[str, Any]]]
) -> None:
    docs = rendered[env]
    sas = objects(docs, "ServiceAccount")
    assert len(sas) == 3
    for component, sa in platform(env)["serviceAccounts"].items():
        obj = one(docs, "ServiceAccount", sa["name"], sa["namespace"])
        annotations = obj["metadata"].get("annotations") or {}
        if sa["gsa"]:
            assert annotations == {"iam.gke.io/gcp-service-account": sa["gsa"]}, component
        else:
            assert "iam.gke.io/gcp-service-account" not in annotations, component
        assert obj["automountServiceAccountToken"] is (component != "dbt")


def test_contract_names_in_example() -> None:
    """The example platform object uses the names docs/platform-names.md fixes."""
    p = platform("example")
    assert p["namespaces"] == {
        "airflow": "caec-airflow",
        "jobs": "caec-jobs",
        "sparkOperator": "spark-operator",
    }
    assert {k: (v["namespace"], v["name"]) for k, v in p["serviceAccounts"].items()} == {
        "airflow": ("caec-airflow", "caec-airflow"),
        "spark": ("caec-jobs", "caec-spark"),
        "dbt": ("caec-jobs", "caec-dbt"),
    }


EXPECTED_RULES = [
    {
        "apiGroups": ["sparkoperator.k8s.io"],
        "resources": ["sparkapplications"],
        "verbs": ["create", "get", "list", "watch", "delete"],
    },
    {"apiGroups": ["sparkoperator.k8s.io"], "resources": ["sparkapplications/status"], "verbs": ["get"]},
    {
        "apiGroups": [""],
        "resources": ["pods"],
        "verbs": ["create", "get", "list", "watch", "patch", "delete"],
    },
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
]


@pytest.mark.parametrize("env", ENVS)
def test_rbac_exact_verbs(env: str, rendered: dict[str, list[dict[str, Any]]]) -> None:
    docs = rendered[env]
    p = platform(env)
    # Our chart grants nothing cluster-wide and exactly one Role.
    assert not objects(docs, "ClusterRole") and not objects(docs, "ClusterRoleBinding")
    roles = objects(docs, "Role")
    assert len(roles) == 1
    role = roles[0]
    assert role["metadata"]["namespace"] == p["namespaces"]["jobs"]
    assert role["rules"] == EXPECTED_RULES
    bindings = objects(docs, "RoleBinding")
    assert len(bindings) == 1
    binding = bindings[0]
    assert binding["metadata"]["namespace"] == p["namespaces"]["jobs"]
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": role["metadata"]["name"],
    }
    airflow = p["serviceAccounts"]["airflow"]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": airflow["name"], "namespace": airflow["namespace"]}
    ]


@pytest.mark.parametrize("env", ENVS)
def test_pipeline_configmap_has_exactly_the_contract_keys(
    env: str, rendered: dict[str, list[dict[str, Any]]]
) -> None:
    p = platform(env)
    cm = one(rendered[env], "ConfigMap", "caec-pipeline-config", p["namespaces"]["airflow"])
    data = cm["data"]
    assert set(data) == contract_config_keys() - SECRET_KEYS
    assert data["CAEC_MODE"] == "kubernetes"
    assert data["CAEC_ENV"] == p["env"]
    assert data["CAEC_JOBS_NAMESPACE"] == p["namespaces"]["jobs"]
    assert data["CAEC_SPARK_SERVICE_ACCOUNT"] == p["serviceAccounts"]["spark"]["name"]
    assert data["CAEC_DBT_SERVICE_ACCOUNT"] == p["serviceAccounts"]["dbt"]["name"]
    assert data["CAEC_IMAGE_REPO"] == p["imageRepo"]
    assert data["CAEC_GCP_PROJECT"] == p["projectId"]
    assert data["CAEC_BQ_LOCATION"] == p["bigqueryLocation"]
    assert data["CAEC_BQ_STAGING_DATASET"] == p["datasets"]["staging"]
    assert data["CAEC_BQ_MARTS_DATASET"] == p["datasets"]["marts"]
    if data["CAEC_SHARED_VOLUME_CLAIM"]:
        assert data["CAEC_RAW_URI"] == f"{data['CAEC_DATA_DIR']}/raw"
        assert data["CAEC_DBT_TARGET"] == "local"
    else:
        assert data["CAEC_RAW_URI"] == f"gs://{p['buckets']['raw']}"
        assert data["CAEC_STAGING_URI"] == f"gs://{p['buckets']['staging']}"
        assert data["CAEC_QUARANTINE_URI"] == f"gs://{p['buckets']['quarantine']}"
        assert data["CAEC_DBT_TARGET"] == "bigquery"
        env_cm = one(rendered[env], "ConfigMap", "caec-airflow-env", p["namespaces"]["airflow"])["data"]
        assert env_cm["AIRFLOW__LOGGING__REMOTE_LOGGING"] == "True"
        assert (
            env_cm["AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER"] == f"gs://{p['buckets']['logs']}/airflow/logs"
        )


def test_kind_configmap_matches_the_e2e_shared_claim(rendered: dict[str, list[dict[str, Any]]]) -> None:
    data = one(rendered["kind"], "ConfigMap", "caec-pipeline-config")["data"]
    assert data["CAEC_SHARED_VOLUME_CLAIM"] == "caec-data"
    assert data["CAEC_DATA_DIR"] == "/caec-data"
    assert data["CAEC_DUCKDB_PATH"] == "/caec-data/warehouse/caec.duckdb"


def test_kind_claims_are_pre_bound_to_the_node_directory_kind_mounts(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    """The claim exists in both namespaces that mount it, each bound to its own hostPath PV over the
    directory .ci/e2e/kind-cluster.yaml mounts on the node, of a class no provisioner takes."""
    docs = rendered["kind"]
    claim = one(docs, "ConfigMap", "caec-pipeline-config")["data"]["CAEC_SHARED_VOLUME_CLAIM"]
    (node,) = load_yaml(ROOT / ".ci" / "e2e" / "kind-cluster.yaml")["nodes"]
    node_dirs = {m["containerPath"] for m in node["extraMounts"]}
    pvs = {d["metadata"]["name"]: d["spec"] for d in objects(docs, "PersistentVolume")}
    pvcs = objects(docs, "PersistentVolumeClaim")
    p = platform("kind")
    assert {(c["metadata"]["namespace"], c["metadata"]["name"]) for c in pvcs} == {
        (p["namespaces"]["jobs"], claim),
        (p["namespaces"]["airflow"], claim),
    }
    for pvc in pvcs:
        pv = pvs.pop(pvc["spec"]["volumeName"])
        assert pv["claimRef"] == {"namespace": pvc["metadata"]["namespace"], "name": claim}
        assert pv["storageClassName"] == pvc["spec"]["storageClassName"] == "caec-e2e-shared"
        assert pv["hostPath"] == {"path": "/caec-data", "type": "Directory"}
        assert pv["persistentVolumeReclaimPolicy"] == "Retain"
    assert not pvs
    assert "/caec-data" in node_dirs


@pytest.mark.parametrize("env", [e for e in ENVS if e != "kind"])
def test_no_hostpath_volumes_outside_kind(env: str, rendered: dict[str, list[dict[str, Any]]]) -> None:
    assert not objects(rendered[env], "PersistentVolume")


@pytest.mark.parametrize("env", ENVS)
def test_spark_pool_placement_flows_into_the_configmap(
    env: str, rendered: dict[str, list[dict[str, Any]]]
) -> None:
    """platform.sparkPool (Terraform) becomes JSON in the ConfigMap; empty (no placement) without a pool."""
    pool = platform(env)["sparkPool"]
    data = one(rendered[env], "ConfigMap", "caec-pipeline-config")["data"]
    selector, tolerations = data["CAEC_SPARK_NODE_SELECTOR"], data["CAEC_SPARK_TOLERATIONS"]
    assert (json.loads(selector) if selector else {}) == pool["nodeSelector"]
    assert (json.loads(tolerations) if tolerations else []) == pool["tolerations"]
    if env == "kind":
        # kind has no Spark node pool: pods must schedule anywhere, so nothing is set.
        assert selector == "" and tolerations == ""
    else:
        # GKE environments: the pool's label and a toleration of its NoSchedule taint.
        assert json.loads(selector) == {"caec.io/pool": "spark"}
        assert {"key": "caec.io/pool", "operator": "Equal", "value": "spark", "effect": "NoSchedule"} in (
            json.loads(tolerations)
        )


@pytest.mark.parametrize("env", ENVS)
def test_retention_days_flow_into_the_configmap(env: str, rendered: dict[str, list[dict[str, Any]]]) -> None:
    """platform.retentionDays (Terraform retention_days) becomes CAEC_RETENTION_DAYS, the variable the DAG
    config and `make run`'s retention step read."""
    days = platform(env)["retentionDays"]
    assert set(days) == {"raw", "staging", "quarantine", "marts", "audit"}
    data = one(rendered[env], "ConfigMap", "caec-pipeline-config")["data"]
    assert json.loads(data["CAEC_RETENTION_DAYS"]) == days
    if env == "kind":
        assert set(days.values()) == {0}, "kind keeps everything (no Terraform policy)"


def test_policy_tags_value_becomes_json_in_the_configmap(rendered: dict[str, list[dict[str, Any]]]) -> None:
    """pipeline.bqPolicyTags (make passes Terraform's pii_policy_tag_ids) -> CAEC_BQ_POLICY_TAGS."""
    tags = {"pseudonymous_id": "projects/my-project/locations/eu/taxonomies/1/policyTags/2"}
    docs = render_platform("example", "--set-json", f"pipeline.bqPolicyTags={json.dumps(tags)}")
    assert json.loads(one(docs, "ConfigMap", "caec-pipeline-config")["data"]["CAEC_BQ_POLICY_TAGS"]) == tags
    for env in ENVS:  # committed values carry no ids (they exist only after terraform apply)
        assert one(rendered[env], "ConfigMap", "caec-pipeline-config")["data"]["CAEC_BQ_POLICY_TAGS"] == ""


def test_image_tag_flows_into_the_configmap() -> None:
    docs = render_platform("example", "--set", "pipeline.imageTag=0123abcd")
    assert one(docs, "ConfigMap", "caec-pipeline-config")["data"]["CAEC_IMAGE_TAG"] == "0123abcd"


@pytest.mark.parametrize("env", ENVS)
def test_network_policies_default_deny_with_needed_egress(
    env: str, rendered: dict[str, list[dict[str, Any]]]
) -> None:
    p = platform(env)
    docs = rendered[env]
    for ns in (p["namespaces"]["airflow"], p["namespaces"]["jobs"]):
        deny = one(docs, "NetworkPolicy", "default-deny-all", ns)["spec"]
        assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        dns = one(docs, "NetworkPolicy", "allow-dns-egress", ns)["spec"]
        assert {"protocol": "UDP", "port": 53} in dns["egress"][0]["ports"]
        api = one(docs, "NetworkPolicy", "allow-kube-api-egress", ns)["spec"]
        assert api["egress"][0]["to"], "Kubernetes API egress needs at least one CIDR"
        if env != "kind":
            google = one(docs, "NetworkPolicy", "allow-google-apis-egress", ns)["spec"]
            assert google["egress"][0]["ports"] == [{"protocol": "TCP", "port": 443}]
            one(docs, "NetworkPolicy", "allow-metadata-server-egress", ns)


@pytest.mark.parametrize("env", ENVS)
def test_priority_class_quota_and_limits(env: str, rendered: dict[str, list[dict[str, Any]]]) -> None:
    docs = rendered[env]
    pc = one(docs, "PriorityClass", "caec-pipeline")
    assert pc["globalDefault"] is False and 0 < pc["value"] < 1_000_000_000
    p = platform(env)
    for ns in (p["namespaces"]["airflow"], p["namespaces"]["jobs"]):
        quota = [q for q in objects(docs, "ResourceQuota") if q["metadata"]["namespace"] == ns]
        limits = [q for q in objects(docs, "LimitRange") if q["metadata"]["namespace"] == ns]
        assert len(quota) == 1 and len(limits) == 1
        assert {"requests.cpu", "requests.memory", "limits.cpu", "limits.memory", "pods"} <= set(
            quota[0]["spec"]["hard"]
        )


def pod_specs(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Pod specs inside any workload kind (Pod, Deployment, Job, CronJob, ...)."""
    kind = doc["kind"]
    if kind == "Pod":
        return [doc["spec"]]
    if kind == "CronJob":
        return [doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]]
    if kind in {"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"}:
        return [doc["spec"]["template"]["spec"]]
    return []


def pod_problems(spec: dict[str, Any]) -> list[str]:
    """What would fail PodSecurity `restricted` or our resource rule in one pod spec."""
    problems = []
    pod_sc = spec.get("securityContext") or {}
    for c in [*(spec.get("initContainers") or []), *spec["containers"]]:
        sc = c.get("securityContext") or {}
        name = c["name"]
        if not (sc.get("runAsNonRoot") or pod_sc.get("runAsNonRoot")):
            problems.append(f"{name}: runAsNonRoot not set")
        if (sc.get("runAsUser", pod_sc.get("runAsUser")) or 1) == 0:
            problems.append(f"{name}: runs as uid 0")
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{name}: allowPrivilegeEscalation not false")
        if "ALL" not in (sc.get("capabilities") or {}).get("drop", []):
            problems.append(f"{name}: capabilities not dropped")
        seccomp = (sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")
        if seccomp not in {"RuntimeDefault", "Localhost"}:
            problems.append(f"{name}: no seccomp profile")
        res = c.get("resources") or {}
        for part in ("requests", "limits"):
            if not {"cpu", "memory"} <= set(res.get(part) or {}):
                problems.append(f"{name}: resources.{part} cpu/memory missing")
    return problems


@pytest.mark.parametrize("env", ENVS)
def test_every_pod_is_restricted_and_sized(env: str, rendered: dict[str, list[dict[str, Any]]]) -> None:
    specs = [s for d in rendered[env] for s in pod_specs(d)]
    assert specs, "the chart renders its helm test pod"
    problems = [p for s in specs for p in pod_problems(s)]
    assert not problems, problems


def test_pod_check_catches_a_root_pod() -> None:
    spec = {"containers": [{"name": "c", "securityContext": {"runAsUser": 0}}]}
    assert len(pod_problems(spec)) >= 5


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (["--set", "typo=1"], "additional properties 'typo' not allowed"),
        (["--set", "pipeline.storage=s3"], "pipeline/storage"),
        (["--set", "platform.serviceAccounts.spark.gsa=not-an-email"], "gsa"),
        (["--set", "networkPolicy.kubeApi.cidrs[0]=example.com"], "kubeApi"),
        (["--set", "platform.sparkPool.tolerations[0].effect=Sometimes"], "sparkPool/tolerations/0/effect"),
        (["--set", "platform.sparkPool.nodeSelector.caec\\.io/pool=not valid"], "sparkPool/nodeSelector"),
        (["--set", "platform.sparkPool.nodeSelector=null"], "sparkPool"),
        (["--set", "platform.retentionDays.raw=-1"], "retentionDays/raw"),
        (["--set", "platform.retentionDays=null"], "retentionDays"),
        (["--set", "pipeline.bqPolicyTags.pseudonymous_id=caec-dev-pii/x"], "bqPolicyTags/pseudonymous_id"),
        (
            ["--set", "pipeline.bqPolicyTags.Bad-Key=projects/p/locations/eu/taxonomies/1/policyTags/2"],
            "Bad-Key",
        ),
    ],
)
def test_schema_rejects_bad_values(override: list[str], message: str) -> None:
    args = ["template", "x", str(CHART)]
    for f in platform_value_files("example"):
        args += ["-f", str(f)]
    proc = run_helm(*args, *override, check=False)
    assert proc.returncode != 0
    assert message in proc.stderr, proc.stderr


def test_missing_platform_object_fails_with_the_missing_keys() -> None:
    proc = run_helm("template", "x", str(CHART), check=False)
    assert proc.returncode != 0
    assert "missing properties" in proc.stderr and "projectId" in proc.stderr
