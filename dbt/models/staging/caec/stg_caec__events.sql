-- One row per event_id (humans and bots). A re-run can leave the same event in two files; the row of the
-- latest run wins (deduplicated within event_date, which the id determines, so date filters still prune).
-- Timestamps are cast to plain UTC TIMESTAMP (Spark writes UTC instants).
with

source as (

    select * from {{ caec.staged_source('events') }}

),

renamed as (

    select
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(event_ts as {{ dbt.type_timestamp() }}) as event_at,
        cast(event_date as date) as event_date,
        cast(visitor_id as {{ dbt.type_string() }}) as visitor_id,
        cast(session_id as {{ dbt.type_string() }}) as session_id,
        cast(seq_in_session as {{ dbt.type_bigint() }}) as seq_in_session,
        cast(event_type as {{ dbt.type_string() }}) as event_type,
        page_url,
        page_path,
        referrer,
        utm_source,
        utm_medium,
        utm_campaign,
        item_id,
        category,
        brand,
        cast(price as {{ caec.type_double() }}) as price,
        transaction_id,
        cast(coalesce(revenue, 0) as {{ caec.type_double() }}) as revenue,
        user_agent,
        coalesce(device_type, 'unknown') as device_type,
        cast(http_status as {{ dbt.type_bigint() }}) as http_status,
        coalesce(is_bot, false) as is_bot,
        bot_reason,
        coalesce(is_late, false) as is_late,
        source_format,
        source_file,
        cast(source_line as {{ dbt.type_bigint() }}) as source_line,
        rules_version,
        run_id
    from source

),

deduplicated as (

    select *
    from renamed
    {{ caec.keep_latest('event_date, event_id', 'run_id desc, source_file desc, source_line desc') }}

)

select * from deduplicated
