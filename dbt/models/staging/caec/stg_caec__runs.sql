-- noqa: disable=RF03
-- RF03 off: window.start and counts.read are struct fields, which sqlfluff mistakes for table qualifiers.
-- One row per Spark run manifest: window, counts and whether the job's reconciliation held.
with

source as (

    select * from {{ caec.staged_source('manifests', may_be_empty=true) }}

),

renamed as (

    select
        cast(run_id as {{ dbt.type_string() }}) as run_id,
        cast(started_at as {{ dbt.type_timestamp() }}) as run_started_at,
        cast(finished_at as {{ dbt.type_timestamp() }}) as run_finished_at,
        rules_version,
        input as input_uri,
        {{ adapter.quote('format') }} as input_format,
        cast({{ adapter.quote('window') }}.start as date) as window_start_date,
        cast({{ adapter.quote('window') }}.{{ adapter.quote('end') }} as date) as window_end_date,
        cast(counts.{{ adapter.quote('read') }} as {{ dbt.type_bigint() }}) as records_read,
        cast(counts.valid as {{ dbt.type_bigint() }}) as records_valid,
        cast(counts.quarantined as {{ dbt.type_bigint() }}) as records_quarantined,
        cast(counts.filtered as {{ dbt.type_bigint() }}) as records_filtered,
        cast(counts.human as {{ dbt.type_bigint() }}) as human_events,
        cast(counts.bot as {{ dbt.type_bigint() }}) as bot_events,
        cast(counts.late as {{ dbt.type_bigint() }}) as late_events,
        cast(counts.sessions as {{ dbt.type_bigint() }}) as sessions,
        cast(counts.human_sessions as {{ dbt.type_bigint() }}) as human_sessions,
        cast(counts.bot_sessions as {{ dbt.type_bigint() }}) as bot_sessions,
        coalesce(reconciled, false) as is_reconciled
    from source

)

select * from renamed
