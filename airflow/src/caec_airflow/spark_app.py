"""Render the ``sessionize`` SparkApplication (sparkoperator.k8s.io/v1beta2) for one run window.

A pure function of (template text, PipelineConfig, window, sizing): no cluster, no scheduler, no
environment reads, so tests render and schema-validate exactly what the operator submits. The
template lives with the DAG (``dags/templates/sparkapplication.yaml``); the job's arguments come from
``caec_pipeline.steps.sessionize_args`` — the same argv the local mode runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import jinja2
import yaml

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


def load_template(path: Path) -> str:
    """Read the SparkApplication template (kept next to the DAG so the image ships it with the DAGs)."""
    return path.read_text(encoding="utf-8")


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


def render_spark_application(
    template_text: str,
    cfg: PipelineConfig,
    window: DayWindow,
    *,
    sizing: SparkSizing | None = None,
    ttl_seconds: int = 3600,
) -> dict[str, Any]:
    """The SparkApplication document (a dict) for ``window``.

    Raises ``jinja2.UndefinedError`` when the template uses a value we do not provide (strict), and
    ``ValueError`` when the rendered text is not a SparkApplication.
    """
    sizing = sizing or SparkSizing()
    labels = {
        "app.kubernetes.io/name": "caec-sessionize",
        "app.kubernetes.io/part-of": "caec",
        "app.kubernetes.io/managed-by": "airflow",
        "caec.io/env": cfg.env,
        "caec.io/window-start": window.start.isoformat(),
    }
    values = {
        "name": application_name(window),
        "namespace": cfg.jobs_namespace,
        "labels": labels,
        "spark_version": SPARK_VERSION,
        "image": cfg.spark_image,
        "main_application_file": SPARK_MAIN_FILE,
        "arguments": sessionize_args(cfg, window),
        "ttl_seconds": int(ttl_seconds),
        "sizing": asdict(sizing),
        "gcp_project": cfg.gcp_project,
        "shared_volume_claim": cfg.shared_volume_claim,
        "data_dir": str(cfg.data_dir),
        "service_account": cfg.spark_service_account,
        # The Spark (Spot) node pool on GKE; empty on kind/laptops, so the fields are left out.
        "node_selector": cfg.node_selector,
        "tolerations": cfg.tolerations,
        "priority_class": PRIORITY_CLASS,
        "env": spark_pod_env(cfg),
        "pod_security_context": pod_security_context(SPARK_UID),
        "container_security_context": container_security_context(SPARK_UID),
    }
    environment = jinja2.Environment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True
    )
    text = environment.from_string(template_text).render(**values)
    document = yaml.safe_load(text)
    if not isinstance(document, dict) or document.get("kind") != "SparkApplication":
        raise ValueError("the SparkApplication template did not render to a SparkApplication document")
    return document
