-- The erasure ledger for data stewards (docs/privacy.md, "The erasure ledger"): one row per request with
-- who asked, when, the kinds of key given, how many visitor_ids (hashes; the clear keys are never
-- stored), staging rows removed (the Spark erasure) and mart rows removed (erasure_log, written by the
-- run-operation erase_visitors). Per-day staging detail: the `staging` array of the source; per-table
-- mart detail: erasure_log. Read it with
--   dbt show --select erasure_ledger            (DuckDB; --target bigquery in production)
with

ledger as (

    select
        request_id,
        requested_by,
        requested_at,
        status,
        key_kinds,
        visitor_ids,
        rows_removed as staging_rows_removed
    from {{ source('caec_staging', 'erasures') }}

),

marts as (

    select
        request_id,
        sum(rows_removed) as mart_rows_removed,
        max(erased_at) as marts_erased_at
    from {{ caec.erasure_log_relation() }}
    group by request_id

)

select
    ledger.request_id,
    ledger.requested_by,
    ledger.requested_at,
    ledger.status,
    ledger.key_kinds,
    ledger.visitor_ids,
    ledger.staging_rows_removed,
    marts.mart_rows_removed,
    marts.marts_erased_at
from ledger
left join marts on ledger.request_id = marts.request_id
order by ledger.requested_at
