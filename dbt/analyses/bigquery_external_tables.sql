-- The DDL the on-run-start hook runs on BigQuery: external tables over the Spark output in GCS
-- (hive partitions on event_date / session_date / ingest_date). Compiles to nothing on DuckDB, which reads
-- the files in place. See it with:
--   dbt compile --target bigquery_offline --no-populate-cache --select bigquery_external_tables
{{ caec.create_external_sources() }}
