"""DAG ``clickstream_daily``: raw click logs -> sessions -> marts -> data-quality gate -> published.

Built by caec_airflow.dag_factory; ``CAEC_MODE`` picks local or kubernetes execution (same task graph).
Parsing does no I/O: the pipeline config is read by the tasks when they run (docs/orchestration.md).
"""

from __future__ import annotations

from caec_airflow.dag_factory import build_clickstream_daily

dag = build_clickstream_daily()
