"""CAEC dashboard: a self-contained HTML file built from the marts with the same SQL on DuckDB and BigQuery."""

from __future__ import annotations

__version__ = "0.1.0"
