"""The ``clickstream_erase`` DAG: erase one data subject, on request (no schedule).

    erase_staging -> erase_marts -> rebuild_marts

The steps are :mod:`caec_pipeline.erasure`'s argv lists (the same ones ``make erase`` runs): the Spark
job hashes the raw keys given as params and rewrites staging through the publish pointer, recording the
request in the erasure ledger; dbt then deletes the ledger's hashed ids from the marts and rebuilds the
days the ledger names. ``CAEC_MODE`` picks the operators (local processes, or a SparkApplication and dbt
pods) exactly as for ``clickstream_daily``; nothing is read at import.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, Param

from caec_airflow.dag_factory import DEFAULT_START_DATE, caec_dag, python_tasks, resolve_mode
from caec_airflow.gate import Notifier
from caec_airflow.runtime import load_config, run_stage
from caec_pipeline import erasure

ERASE_DAG_ID = "clickstream_erase"
ERASE_TASK_IDS = ("erase_staging", "erase_marts", "rebuild_marts")
KEY_PARAMS = ("user_id", "cookie_id", "ip", "user_agent")
TIMEOUTS = {
    "erase_staging": timedelta(hours=3),
    "erase_marts": timedelta(hours=1),
    "rebuild_marts": timedelta(hours=2),
}

DOC_MD = """
### clickstream_erase
Erase one data subject (docs/privacy.md, "Erasing a data subject"): staging events, sessions, visitor
state and quarantine are rewritten without them and republished through the publish pointer; the marts
lose their rows (DML) and the affected days are rebuilt. The request is recorded in the erasure ledger
`<staging>/_erasure/ledger.jsonl` with hashed ids only; later daily runs filter those ids.

* **Trigger** with params: `user_id` or `cookie_id`, or `ip` + `user_agent` (as the logs spell them),
  optional `format`, and `requested_by` (recorded). The raw keys stay in this run's conf: delete the run
  when done (`airflow dags delete-dag-run` or the UI) if your metadata DB is readable by more people than
  the salt.
* Idempotent: erasing again removes nothing. Do not run it while `clickstream_daily` publishes the same
  staging root: either side then fails without publishing and its retry succeeds.
"""


def erase_params() -> dict[str, Param]:
    """The subject's raw keys and who asked (docs/formats.md: which key each format has)."""
    params = {
        name: Param(None, type=["null", "string"], title=title, description=text)
        for name, title, text in (
            (
                "user_id",
                "User id",
                "jsonl visitor_id, combined authuser, RetailRocket visitorid, REES46 user_id",
            ),
            ("cookie_id", "Cookie id", "the same keys as user_id (a cookie id where the site logs one)"),
            ("ip", "Client IP", "with user_agent: the key of a visitor without an id (jsonl, combined)"),
            ("user_agent", "User agent", "exactly as logged, with ip"),
            ("format", "Log format", "only this format's key kinds (default: every format)"),
        )
    }
    params["requested_by"] = Param(
        "", type="string", minLength=1, title="Requested by", description="who asked (recorded in the ledger)"
    )
    return params


def request_id_of(context: Mapping[str, Any]) -> str:
    """The ledger id of a run's request: derived from the run id, so retries and later tasks reuse it."""
    return erasure.request_id_for(str(context["run_id"]))


def request_of(context: Mapping[str, Any]) -> tuple[erasure.SubjectKeys, str, str]:
    """(raw keys, requested_by, request id) of a run (only the staging step needs the raw keys)."""
    params = context.get("params") or {}
    keys = erasure.SubjectKeys.from_params(params)
    return keys, str(params.get("requested_by") or ""), request_id_of(context)


def erase_staging_local(**context: Any) -> None:
    keys, requested_by, request_id = request_of(context)
    run_stage(erasure.erase_staging_stage(load_config(), keys, requested_by, request_id))


def erase_marts_local(**context: Any) -> None:
    cfg = load_config()
    run_stage(erasure.erase_marts_stage(cfg, erasure.load_entry(cfg, request_id_of(context))))


def rebuild_marts_local(**context: Any) -> None:
    from airflow.sdk.exceptions import AirflowSkipException

    cfg = load_config()
    stage = erasure.rebuild_marts_stage(cfg, erasure.load_entry(cfg, request_id_of(context)))
    if stage is None:
        raise AirflowSkipException("the erasure removed nothing from staging: no day to rebuild")
    run_stage(stage)


def build_clickstream_erase(
    mode: str | None = None,
    *,
    notifier: Notifier | None = None,
    start_date: datetime = DEFAULT_START_DATE,
) -> DAG:
    """The erase DAG for ``mode`` (default: ``CAEC_MODE``). Cheap: no config, file or network access."""
    mode = resolve_mode(mode)

    # On request only; one erasure at a time: each rewrites partitions and publishes a pointer generation.
    runs = {"schedule": None, "catchup": False, "max_active_runs": 1, "dagrun_timeout": timedelta(hours=8)}
    description = "Erase a data subject from staging and the marts (ledger of hashed ids)"
    with caec_dag(
        ERASE_DAG_ID, mode, notifier, params=erase_params(), tags=["privacy"], **runs,
        description=description, start_date=start_date, doc_md=DOC_MD,
    ) as dag:  # fmt: skip
        if mode == "kubernetes":
            from caec_airflow.k8s_erase import CaecEraseDbtPodOperator, CaecEraseSparkOperator

            staging: Any = CaecEraseSparkOperator(
                task_id="erase_staging",
                execution_timeout=TIMEOUTS["erase_staging"],
            )
            marts: Any = CaecEraseDbtPodOperator(
                task_id="erase_marts",
                name="caec-dbt-erase",
                step="erase",
                execution_timeout=TIMEOUTS["erase_marts"],
            )
            rebuild: Any = CaecEraseDbtPodOperator(
                task_id="rebuild_marts",
                name="caec-dbt-rebuild",
                step="rebuild",
                execution_timeout=TIMEOUTS["rebuild_marts"],
            )
        else:
            staging, marts, rebuild = python_tasks(
                {
                    "erase_staging": erase_staging_local,
                    "erase_marts": erase_marts_local,
                    "rebuild_marts": rebuild_marts_local,
                },
                TIMEOUTS,
            )
        staging >> marts >> rebuild
    return dag
