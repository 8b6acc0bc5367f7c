"""What the ``dbt_build`` pod runs in kubernetes mode, as plain data (no Kubernetes client import).

``k8s_operators.CaecDbtPodOperator`` applies this to the provider's KubernetesPodOperator at run time;
tests check the V1Pod the provider builds from it (``build_pod_request_obj``). The command line is
``caec_pipeline.steps.dbt_build_args`` — the same one the local mode runs — and the environment is
``caec_pipeline.steps.dbt_env``, so profiles.yml resolves identically in both modes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from caec_airflow.security import DBT_UID, container_security_context, pod_security_context
from caec_airflow.spark_app import PRIORITY_CLASS
from caec_pipeline.config import PipelineConfig
from caec_pipeline.steps import dbt_build_args, dbt_env
from caec_pipeline.window import DayWindow

# The dbt image's entry point; the project (and profiles.yml) sit in the image's working dir under dbt/.
DBT_COMMAND = ["dbt"]
DATA_VOLUME = "caec-data"


@dataclass(frozen=True)
class DbtPodSpec:
    """Everything the dbt pod needs for one window (field names follow the KubernetesPodOperator)."""

    namespace: str
    image: str
    service_account_name: str
    cmds: list[str]
    arguments: list[str]
    env_vars: dict[str, str]
    labels: dict[str, str]
    resources: dict[str, dict[str, str]]
    pod_security_context: dict[str, Any]
    container_security_context: dict[str, Any]
    priority_class_name: str
    volume_claim: str = ""
    mount_path: str = ""
    annotations: dict[str, str] = field(default_factory=dict)


# dbt is a thin client (BigQuery does the work) but DuckDB on the kind volume runs in-process.
DBT_RESOURCES = {
    "requests": {"cpu": "500m", "memory": "1Gi"},
    "limits": {"cpu": "2", "memory": "4Gi"},
}


def dbt_pod_spec(cfg: PipelineConfig, window: DayWindow) -> DbtPodSpec:
    """The dbt pod for ``window``: image ``<repo>/caec-dbt:<tag>``, the dbt KSA, restricted security."""
    return DbtPodSpec(
        namespace=cfg.jobs_namespace,
        image=cfg.dbt_image,
        service_account_name=cfg.dbt_service_account,
        cmds=list(DBT_COMMAND),
        arguments=dbt_build_args(cfg, window),
        env_vars=dict(sorted(dbt_env(cfg).items())),
        labels={
            "app.kubernetes.io/name": "caec-dbt",
            "app.kubernetes.io/part-of": "caec",
            "app.kubernetes.io/managed-by": "airflow",
            "caec.io/env": cfg.env,
            "caec.io/window-start": window.start.isoformat(),
        },
        resources=DBT_RESOURCES,
        pod_security_context=pod_security_context(DBT_UID),
        container_security_context=container_security_context(DBT_UID),
        priority_class_name=PRIORITY_CLASS,
        volume_claim=cfg.shared_volume_claim,
        mount_path=str(cfg.data_dir) if cfg.shared_volume_claim else "",
    )
