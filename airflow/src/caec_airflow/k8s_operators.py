"""Kubernetes-mode operators: the provider's own operators, configured at run time from PipelineConfig.

Each subclass only fills the provider operator's fields from the config and the run's window when the
task executes (never at DAG parse), then hands over to the provider: SparkKubernetesOperator submits
the SparkApplication, waits for the driver, streams its log and deletes the CR; KubernetesPodOperator
runs the dbt pod; the Google provider's GCS sensor defers to the triggerer while it waits.
Imported only when the DAG is built in kubernetes mode (the providers are slow to import).

``python -m caec_airflow.k8s_operators --start D --end D [--out F]`` writes, as a YAML stream, the SparkApplication
and the dbt pod the DAG's tasks would create with this process's ``CAEC_*`` environment: the provider's
own code builds them, no cluster needed (helm/tests validate them against each environment's values).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from airflow.providers.cncf.kubernetes.operators.spark_kubernetes import SparkKubernetesOperator
from airflow.providers.cncf.kubernetes.pod_generator import PodGenerator
from airflow.providers.google.cloud.sensors.gcs import GCSObjectsWithPrefixExistenceSensor
from airflow.providers.standard.triggers.temporal import TimeDeltaTrigger
from kubernetes.client import models as k8s

from caec_airflow.dbt_pod import DATA_VOLUME, DbtPodSpec, dbt_pod_spec
from caec_airflow.local import missing_local_days
from caec_airflow.runtime import load_config, window_of
from caec_airflow.spark_app import SparkSizing, sizing_from_env, spark_application
from caec_pipeline.config import PipelineConfig, is_remote_uri
from caec_pipeline.window import DayWindow


def split_gcs_uri(uri: str) -> tuple[str, str]:
    """``gs://bucket/some/path`` -> (``bucket``, ``some/path``), with a fix-it error for other URIs."""
    if not uri.startswith("gs://"):
        raise ValueError(
            f"CAEC_RAW_URI={uri!r} is not a gs:// URI: set CAEC_RAW_URI=gs://<project>-caec-<env>-raw "
            "(or a local path on the shared volume, CAEC_SHARED_VOLUME_CLAIM)"
        )
    bucket, _, path = uri[len("gs://") :].partition("/")
    if not bucket:
        raise ValueError(f"CAEC_RAW_URI={uri!r} has no bucket name")
    return bucket, path.strip("/")


def day_prefixes(cfg: PipelineConfig, window: DayWindow) -> list[tuple[str, str]]:
    """(bucket, prefix) of each day's raw folder ``<raw>/dt=YYYY-MM-DD/`` in the window."""
    out = []
    for day in window:
        bucket, path = split_gcs_uri(cfg.raw_day_uri(day.isoformat()))
        out.append((bucket, path + "/"))
    return out


class CaecRawPrefixSensor(GCSObjectsWithPrefixExistenceSensor):
    """Deferrable wait for every day of the window under ``<raw>/dt=YYYY-MM-DD/``.

    GCS (production): the provider sensor watches one prefix; a backfill window has several days, so
    this checks the days in order and defers on the first missing one; when the trigger fires it
    checks again and defers on the next missing day, until all are present. A local raw path (kind,
    with the shared volume mounted in the worker) is checked on disk and re-checked after a timer
    trigger. While deferred the sensor holds no worker slot.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("deferrable", True)
        super().__init__(bucket="", prefix="", **kwargs)

    def _all_present(self, context: Any) -> bool:
        """Point bucket/prefix at the first day without objects; True when there is none."""
        cfg = load_config()
        for bucket, prefix in day_prefixes(cfg, window_of(context)):
            self.bucket, self.prefix = bucket, prefix
            if not self.poke(context):
                return False
        return True

    def _wait_on_disk(self, context: Any, cfg: PipelineConfig) -> Any:
        window = window_of(context)
        missing = missing_local_days(cfg, window)
        if not missing:
            self.log.info("raw data present for %s under %s", window, cfg.raw_uri)
            return []
        self.log.info("raw data not there yet for %s under %s", ", ".join(map(str, missing)), cfg.raw_uri)
        self.defer(
            trigger=TimeDeltaTrigger(timedelta(seconds=self.poke_interval)),
            method_name="execute_complete_local",
            timeout=timedelta(seconds=self.timeout),
        )

    def execute(self, context: Any) -> Any:
        cfg = load_config()
        if not is_remote_uri(cfg.raw_uri):
            return self._wait_on_disk(context, cfg)
        if self._all_present(context):
            return self._matches
        return super().execute(context)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        super().execute_complete(context, event)  # raises when the trigger reports an error
        return self.execute(context)

    def execute_complete_local(self, context: Any, event: Any = None) -> Any:
        return self._wait_on_disk(context, load_config())


class CaecSparkApplicationOperator(SparkKubernetesOperator):
    """SparkKubernetesOperator whose SparkApplication is rendered for the run's window at execute time."""

    def __init__(self, *, sizing: SparkSizing | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("get_logs", True)
        kwargs.setdefault("delete_on_termination", True)
        kwargs.setdefault("random_name_suffix", True)
        super().__init__(**kwargs)
        # None: the environment's sizing (CAEC_SPARK_SIZING from the caec-spark-sizing ConfigMap), read
        # when the task runs, so one DAG file serves every environment.
        self.sizing = sizing

    def prepare(self, context: Any, cfg: PipelineConfig | None = None) -> dict[str, Any]:
        """Render the window's SparkApplication into ``template_spec`` and target the jobs namespace."""
        cfg = cfg or load_config()
        sizing = self.sizing or sizing_from_env(os.environ)
        document = spark_application(cfg, window_of(context), sizing=sizing)
        self.template_spec = document
        self.application_file = None
        self.namespace = cfg.jobs_namespace
        return document

    def execute(self, context: Any) -> Any:
        self.prepare(context)
        return super().execute(context)


def _security_models(spec: DbtPodSpec) -> tuple[k8s.V1PodSecurityContext, k8s.V1SecurityContext]:
    """Pod and container security contexts as client models (camelCase dicts deserialized by the provider)."""
    pod = PodGenerator.deserialize_model_dict(
        {
            "spec": {
                "securityContext": spec.pod_security_context,
                "containers": [{"name": "base", "securityContext": spec.container_security_context}],
            }
        }
    )
    return pod.spec.security_context, pod.spec.containers[0].security_context


def _env_list(env: dict[str, str]) -> list[k8s.V1EnvVar]:
    return [k8s.V1EnvVar(name=k, value=v) for k, v in env.items()]


class CaecDbtPodOperator(KubernetesPodOperator):
    """KubernetesPodOperator running ``dbt build`` for the run's window in the caec-dbt image."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("on_finish_action", "delete_succeeded_pod")
        kwargs.setdefault("get_logs", True)
        kwargs.setdefault("image_pull_policy", "IfNotPresent")
        super().__init__(**kwargs)

    def apply(self, spec: DbtPodSpec) -> None:
        """Copy a DbtPodSpec onto the provider operator's fields (Kubernetes client models)."""
        self.namespace = spec.namespace
        self.image = spec.image
        self.service_account_name = spec.service_account_name
        self.cmds = list(spec.cmds)
        self.arguments = list(spec.arguments)
        self.env_vars = _env_list(spec.env_vars)
        self.labels = {**(self.labels or {}), **spec.labels}
        self.container_resources = k8s.V1ResourceRequirements(
            requests=dict(spec.resources["requests"]), limits=dict(spec.resources["limits"])
        )
        self.security_context, self.container_security_context = _security_models(spec)
        self.priority_class_name = spec.priority_class_name
        if spec.volume_claim:
            self.volumes = [
                k8s.V1Volume(
                    name=DATA_VOLUME,
                    persistent_volume_claim=k8s.V1PersistentVolumeClaimVolumeSource(
                        claim_name=spec.volume_claim
                    ),
                )
            ]
            self.volume_mounts = [k8s.V1VolumeMount(name=DATA_VOLUME, mount_path=spec.mount_path)]

    def prepare(self, context: Any, cfg: PipelineConfig | None = None) -> DbtPodSpec:
        """Resolve the dbt pod for the run's window (config read now, at run time)."""
        cfg = cfg or load_config()
        spec = dbt_pod_spec(cfg, window_of(context))
        self.apply(spec)
        return spec

    def execute(self, context: Any) -> Any:
        self.prepare(context)
        return super().execute(context)


def pipeline_objects(start: date, end: date) -> list[dict[str, Any]]:
    """The SparkApplication and the dbt pod of ``[start, end)``, built by the DAG's own tasks."""
    from kubernetes.client import ApiClient

    from caec_airflow.dag_factory import build_clickstream_daily

    dag = build_clickstream_daily("kubernetes")
    context = {
        "params": {"start": None, "end": None},
        "data_interval_start": datetime.combine(start, datetime.min.time(), tzinfo=UTC),
        "data_interval_end": datetime.combine(end, datetime.min.time(), tzinfo=UTC),
    }
    spark: Any = dag.get_task("sessionize")
    dbt: Any = dag.get_task("dbt_build")
    application = spark.prepare(context)
    dbt.prepare(context)
    pod = ApiClient().sanitize_for_serialization(dbt.build_pod_request_obj(dry_run=True))
    return [application, {"apiVersion": "v1", "kind": "Pod", **pod}]


def main(argv: list[str] | None = None) -> int:
    import yaml

    parser = argparse.ArgumentParser(description="Print the pipeline's SparkApplication and dbt pod (YAML).")
    parser.add_argument("--start", type=date.fromisoformat, required=True, help="first day, YYYY-MM-DD")
    parser.add_argument(
        "--end", type=date.fromisoformat, required=True, help="day after the last, YYYY-MM-DD"
    )
    parser.add_argument("--out", type=Path, default=None, help="write here (Airflow logs to stdout too)")
    args = parser.parse_args(argv)
    text = yaml.safe_dump_all(pipeline_objects(args.start, args.end), sort_keys=False)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
