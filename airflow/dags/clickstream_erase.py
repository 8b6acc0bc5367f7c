"""DAG ``clickstream_erase``: erase one data subject from staging and the marts, on request.

Built by caec_airflow.erase; ``CAEC_MODE`` picks local or kubernetes execution (same task graph).
Parsing does no I/O: the config and the request are read by the tasks when they run (docs/orchestration.md).
"""

from __future__ import annotations

from caec_airflow.erase import build_clickstream_erase

dag = build_clickstream_erase()
