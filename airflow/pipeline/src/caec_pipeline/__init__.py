"""CAEC pipeline: typed configuration, step definitions, data-quality gate and the local runner.

Shared by ``python -m caec_pipeline run`` (the embedded default behind ``make run``) and the Airflow
DAG ``clickstream_daily`` in both its local and kubernetes modes. Standard library only, so it installs
into any environment (the Airflow image, the local venvs) without pin conflicts.
"""

from __future__ import annotations

__version__ = "0.1.0"
