-- Quarantine summary: one row per ingest_date x reason x source_format (the raw text stays in the files).
with

source as (

    select * from {{ caec.staged_source('quarantine', may_be_empty=true) }}

),

renamed as (

    select
        cast(ingest_date as date) as ingest_date,
        cast(coalesce(reason, 'unknown') as {{ dbt.type_string() }}) as reason,
        cast(coalesce(source_format, 'unknown') as {{ dbt.type_string() }}) as source_format,
        coalesce(raw_truncated, false) as raw_truncated,
        run_id
    from source

),

summarised as (

    select
        ingest_date,
        reason,
        source_format,
        count(*) as record_count,
        {{ caec.count_if('raw_truncated') }} as truncated_count,
        count(distinct run_id) as run_count
    from renamed
    group by ingest_date, reason, source_format

)

select * from summarised
