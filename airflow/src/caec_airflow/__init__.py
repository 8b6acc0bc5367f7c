"""CAEC orchestration: the factory behind the ``clickstream_daily`` DAG and the pure renderers it uses.

Modules are split by what they import, so the DAG file stays cheap to parse: ``window``, ``spark_app``
and ``dbt_pod`` are pure (no Airflow providers); ``local`` and ``gate`` hold the local-mode and shared
task code; ``k8s_operators`` (cncf.kubernetes and Google providers) is imported only in kubernetes mode.
"""

from __future__ import annotations

DAG_ID = "clickstream_daily"
