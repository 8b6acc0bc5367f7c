"""Build the ``sessionize`` SparkApplication (sparkoperator.k8s.io/v1beta2) for one run window.

A pure function of (PipelineConfig, window, sizing) returning a plain dict: no template, no cluster, no
scheduler, no environment reads, so tests schema-validate exactly what the operator submits. The job's
arguments come from ``caec_pipeline.steps.sessionize_args`` — the same argv the local mode runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from caec_airflow.security import SPARK_UID, container_security_context, pod_security_context
from caec_pipeline.config import PipelineConfig
from caec_pipeline.steps import sessionize_args, spark_env
from caec_pipeline.window import DayWindow

# Must equal the pyspark pin in spark/requirements.lock and the images/spark base (a test checks the lock).
SPARK_VERSION = "4.3.0"
# The job's entry point baked into the caec-spark image (images/spark): `python -m caec_spark` as a file.
SPARK_MAIN_FILE = "local:///opt/caec/spark/main.py"
# PriorityClass of pipeline pods (docs/platform-names.md; created by helm/caec-platform).
PRIORITY_CLASS = "caec-pipeline"
# Secret (in the jobs namespace) holding CAEC_IDENTITY_SALT, so the salt never appears in a CR.
SALT_SECRET_NAME = "caec-pipeline-secrets"
SALT_SECRET_KEY = "CAEC_IDENTITY_SALT"
# Per-environment sizing: JSON written by helm/caec-platform (ConfigMap caec-spark-sizing, from the
# `spark:` values of the environment) and read when the task runs. Unset: SparkSizing's defaults.
SIZING_ENV_VAR = "CAEC_SPARK_SIZING"


@dataclass(frozen=True)
class SparkSizing:
    """Driver/executor resources and dynamic-allocation bounds of the daily job.

    The defaults are the laptop-sized fallback when no environment sizing is set; every deployed
    environment sets its own (helm/values/caec-platform/<env>.yaml `spark:`), checked against its
    node pools, LimitRange and ResourceQuota by helm/tests/test_resource_fit.py. ``*_core_request`` is
    the pod's CPU request (Spark's ``spark.kubernetes.*.request.cores``) when it should be below
    ``cores`` (the task slots), so a pod fits a node's allocatable CPU; memory overhead is explicit
    because PySpark's Python workers live outside the JVM heap.
    """

    driver_cores: int = 1
    driver_core_request: str = "500m"
    driver_core_limit: str = "1"
    driver_memory: str = "1g"
    driver_memory_overhead: str = "512m"
    executor_cores: int = 1
    executor_core_request: str = "500m"
    executor_core_limit: str = "1"
    executor_memory: str = "1g"
    executor_memory_overhead: str = "512m"
    min_executors: int = 1
    max_executors: int = 2
    shuffle_partitions: int = 8

    def __post_init__(self) -> None:
        if not 1 <= self.min_executors <= self.max_executors:
            raise ValueError(
                f"SparkSizing: need 1 <= min_executors ({self.min_executors}) <= max_executors "
                f"({self.max_executors})"
            )


def sizing_from_json(text: str) -> SparkSizing:
    """A SparkSizing from the ConfigMap's JSON (field names as in SparkSizing); errors name the fix."""
    try:
        values = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{SIZING_ENV_VAR} is not valid JSON ({e}): check helm values `spark:`") from e
    known = {f.name for f in fields(SparkSizing)}
    unknown = sorted(set(values) - known) if isinstance(values, dict) else []
    if not isinstance(values, dict) or unknown:
        raise ValueError(
            f"{SIZING_ENV_VAR}: expected an object with keys from {sorted(known)}, got {unknown}"
        )
    return SparkSizing(**values)


def sizing_from_env(environ: Mapping[str, str]) -> SparkSizing:
    """The environment's sizing (``CAEC_SPARK_SIZING``), or the defaults when it is unset or empty."""
    text = environ.get(SIZING_ENV_VAR, "").strip()
    return sizing_from_json(text) if text else SparkSizing()


def application_name(window: DayWindow) -> str:
    """DNS-1123 name of the window's application; the operator adds a random suffix per attempt."""
    name = f"caec-sessionize-{window.start:%Y%m%d}"
    return name if window.days == 1 else f"{name}-{window.end:%Y%m%d}"


def spark_pod_env(cfg: PipelineConfig) -> list[dict[str, Any]]:
    """Driver/executor env: caec_pipeline's spark_env (kubernetes mode); the salt from a Secret.

    The development salt (laptop, kind) is passed as a value; any real salt is referenced from
    ``SALT_SECRET_NAME`` so it is never written into a SparkApplication anyone can ``get``.
    """
    env: list[dict[str, Any]] = []
    for key, value in sorted(spark_env(cfg).items()):
        if key == "CAEC_IDENTITY_SALT" and not cfg.uses_dev_salt:
            env.append(
                {
                    "name": key,
                    "valueFrom": {"secretKeyRef": {"name": SALT_SECRET_NAME, "key": SALT_SECRET_KEY}},
                }
            )
            continue
        env.append({"name": key, "value": value})
    return env


def spark_application(
    cfg: PipelineConfig,
    window: DayWindow,
    *,
    sizing: SparkSizing | None = None,
    ttl_seconds: int = 3600,
) -> dict[str, Any]:
    """The SparkApplication document for ``window``: a plain dict, the object the operator submits.

    nodeSelector/tolerations (CAEC_SPARK_NODE_SELECTOR / CAEC_SPARK_TOLERATIONS, from Terraform's Spark
    pool) go on the driver and the executors only when set: kind has no such pool. The operator's webhook
    applies tolerations to the pods (webhook.enable in helm/values/spark-operator/base.yaml). The
    SparkKubernetesOperator overwrites metadata.name (adds a random suffix) and metadata.namespace,
    waits for the driver, streams its log and deletes the CR when it finishes.
    """
    sizing = sizing or SparkSizing()
    labels = {
        "app.kubernetes.io/name": "caec-sessionize",
        "app.kubernetes.io/part-of": "caec",
        "app.kubernetes.io/managed-by": "airflow",
        "caec.io/env": cfg.env,
        "caec.io/window-start": window.start.isoformat(),
    }
    # kind end-to-end without GCS: one PVC mounted at CAEC_DATA_DIR in the driver, executors and dbt pod.
    shared = bool(cfg.shared_volume_claim)
    mounts = {"volumeMounts": [{"name": "caec-data", "mountPath": str(cfg.data_dir)}]} if shared else {}

    def pod(role: str) -> dict[str, Any]:
        """Driver or executor: resources, the Spark KSA (Workload Identity), placement, env, security."""
        spec: dict[str, Any] = {
            "cores": getattr(sizing, f"{role}_cores"),
            "coreRequest": getattr(sizing, f"{role}_core_request"),
            "coreLimit": getattr(sizing, f"{role}_core_limit"),
            "memory": getattr(sizing, f"{role}_memory"),
            "memoryOverhead": getattr(sizing, f"{role}_memory_overhead"),
        }
        if role == "executor":
            spec["instances"] = sizing.min_executors
        # Workload Identity needs the KSA on executors too, or they read GCS anonymously and fail.
        spec["serviceAccount"] = cfg.spark_service_account
        if PRIORITY_CLASS:
            spec["priorityClassName"] = PRIORITY_CLASS
        if cfg.node_selector:
            spec["nodeSelector"] = cfg.node_selector
        if cfg.tolerations:
            spec["tolerations"] = cfg.tolerations
        return spec | {
            "labels": labels,
            "env": spark_pod_env(cfg),
            "podSecurityContext": pod_security_context(SPARK_UID),
            "securityContext": container_security_context(SPARK_UID),
            **mounts,
        }

    hadoop_conf = {
        # GCS connector 3.x (jar baked into the image). Workload Identity: the driver's and executors'
        # KSA is bound to the Spark GSA, so Application Default Credentials come from the metadata server.
        "fs.gs.impl": "com.google.cloud.hadoop.fs.gcs.GoogleHadoopFileSystem",
        "fs.AbstractFileSystem.gs.impl": "com.google.cloud.hadoop.fs.gcs.GoogleHadoopFS",
        "fs.gs.auth.type": "APPLICATION_DEFAULT",
        **({"fs.gs.project.id": cfg.gcp_project} if cfg.gcp_project else {}),
        "fs.gs.status.parallel.enable": "true",
    }
    spec: dict[str, Any] = {
        "type": "Python",
        "pythonVersion": "3",
        "mode": "cluster",
        "sparkVersion": SPARK_VERSION,
        "image": cfg.spark_image,
        "imagePullPolicy": "IfNotPresent",
        # Baked into the image: the operator's own image has no GCS connector, so gs:// main files fail.
        "mainApplicationFile": SPARK_MAIN_FILE,
        "arguments": sessionize_args(cfg, window),
        # Retries belong to Airflow (exponential backoff, one place): the operator must not retry.
        "restartPolicy": {"type": "Never"},
        "timeToLiveSeconds": int(ttl_seconds),
        "dynamicAllocation": {
            "enabled": True,
            # No external shuffle service on Kubernetes: track shuffle files so executors can be released.
            "shuffleTrackingEnabled": True,
            "initialExecutors": sizing.min_executors,
            "minExecutors": sizing.min_executors,
            "maxExecutors": sizing.max_executors,
        },
        "sparkConf": {
            # Re-running a day replaces exactly that day's partitions (docs/data-contract.md).
            "spark.sql.sources.partitionOverwriteMode": "dynamic",
            "spark.sql.session.timeZone": "UTC",
            "spark.sql.shuffle.partitions": str(sizing.shuffle_partitions),
            "spark.sql.adaptive.enabled": "true",
            "spark.kubernetes.driver.service.deleteOnTermination": "true",
            "spark.ui.showConsoleProgress": "false",
        },
        "hadoopConf": hadoop_conf,
    }
    if shared:
        volume = {"persistentVolumeClaim": {"claimName": cfg.shared_volume_claim}}
        spec["volumes"] = [{"name": "caec-data", **volume}]
    spec["driver"] = pod("driver")
    spec["executor"] = pod("executor")
    return {
        "apiVersion": "sparkoperator.k8s.io/v1beta2",
        "kind": "SparkApplication",
        "metadata": {"name": application_name(window), "namespace": cfg.jobs_namespace, "labels": labels},
        "spec": spec,
    }
