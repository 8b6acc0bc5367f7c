"""Kubernetes-mode operators of ``clickstream_erase``: the daily DAG's operators with the erasure's argv.

The erase SparkApplication is the daily one (same template, image, salt Secret, service account and
sizing) with ``caec_spark erase`` arguments and its own name; the dbt pods are the daily dbt pod with the
erasure's ``run-operation`` or the rebuild's ``build`` arguments. Everything is resolved when the task
runs. Imported only when the DAG is built in kubernetes mode (the providers are slow to import).
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from caec_airflow.dbt_pod import DbtPodSpec, dbt_pod_spec
from caec_airflow.erase import request_id_of, request_of
from caec_airflow.k8s_operators import CaecDbtPodOperator, CaecSparkApplicationOperator
from caec_airflow.runtime import load_config
from caec_airflow.spark_app import spark_application
from caec_pipeline.config import PipelineConfig
from caec_pipeline.erasure import dbt_erase_args, dbt_rebuild_args, erase_args, load_entry
from caec_pipeline.window import DayWindow

APP_NAME = "caec-erase"


def erase_application(cfg: PipelineConfig, context: Any, day: date, sizing: Any = None) -> dict[str, Any]:
    """The erase SparkApplication: the daily document for ``day`` with the erasure's name and argv."""
    keys, requested_by, request_id = request_of(context)
    document = spark_application(cfg, DayWindow.of_days(day, 1), sizing=sizing)
    document["metadata"]["name"] = f"{APP_NAME}-{day:%Y%m%d}"
    document["metadata"]["labels"]["app.kubernetes.io/name"] = APP_NAME
    document["spec"]["arguments"] = erase_args(cfg, keys, requested_by, request_id)
    return document


def erase_pod(cfg: PipelineConfig, arguments: list[str], day: date) -> DbtPodSpec:
    """The daily dbt pod with other dbt arguments (the window of the daily spec is not used)."""
    spec = dbt_pod_spec(cfg, DayWindow.of_days(day, 1))
    return dataclasses.replace(
        spec, arguments=arguments, labels={**spec.labels, "app.kubernetes.io/name": "caec-dbt-erase"}
    )


def run_day(context: Any) -> date:
    """The run's logical day: names the application and labels the pods (the erasure has no window)."""
    logical = context.get("logical_date")
    return logical.date() if logical else date.today()


class CaecEraseSparkOperator(CaecSparkApplicationOperator):
    def prepare(self, context: Any, cfg: PipelineConfig | None = None) -> dict[str, Any]:
        cfg = cfg or load_config()
        document = erase_application(cfg, context, run_day(context), self.sizing)
        self.template_spec = document
        self.application_file = None
        self.namespace = cfg.jobs_namespace
        return document


class CaecEraseDbtPodOperator(CaecDbtPodOperator):
    """``step`` ``erase``: the run-operation deleting the ledger's ids; ``rebuild``: the days' build."""

    def __init__(self, *, step: str, **kwargs: Any) -> None:
        if step not in ("erase", "rebuild"):
            raise ValueError(f"step must be 'erase' or 'rebuild', got {step!r}")
        super().__init__(**kwargs)
        self.step = step

    def prepare(self, context: Any, cfg: PipelineConfig | None = None) -> DbtPodSpec:
        from airflow.sdk.exceptions import AirflowSkipException

        cfg = cfg or load_config()
        entry = load_entry(cfg, request_id_of(context))
        arguments = dbt_erase_args(cfg, entry) if self.step == "erase" else dbt_rebuild_args(cfg, entry)
        if arguments is None:
            raise AirflowSkipException("the erasure removed nothing from staging: no day to rebuild")
        spec = erase_pod(cfg, arguments, run_day(context))
        self.apply(spec)
        return spec
