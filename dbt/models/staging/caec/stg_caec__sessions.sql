-- One row per session_id (humans and bots); the latest run's row wins if a re-run left two.
with

source as (

    select * from {{ caec.staged_source('sessions') }}

),

renamed as (

    select
        cast(session_id as {{ dbt.type_string() }}) as session_id,
        cast(visitor_id as {{ dbt.type_string() }}) as visitor_id,
        cast(session_index as {{ dbt.type_bigint() }}) as session_index,
        cast(session_start as {{ dbt.type_timestamp() }}) as session_started_at,
        cast(session_end as {{ dbt.type_timestamp() }}) as session_ended_at,
        cast(session_date as date) as session_date,
        cast(duration_s as {{ caec.type_double() }}) as duration_s,
        cast(event_count as {{ dbt.type_bigint() }}) as event_count,
        cast(page_view_count as {{ dbt.type_bigint() }}) as page_view_count,
        entry_page,
        exit_page,
        landing_referrer,
        utm_source,
        utm_medium,
        utm_campaign,
        coalesce(channel, 'other') as channel,
        coalesce(device_type, 'unknown') as device_type,
        coalesce(is_bounce, false) as is_bounce,
        coalesce(is_converted, false) as is_converted,
        cast(coalesce(order_count, 0) as {{ dbt.type_bigint() }}) as order_count,
        cast(coalesce(revenue, 0) as {{ caec.type_double() }}) as revenue,
        coalesce(is_bot, false) as is_bot,
        bot_reason,
        rules_version,
        run_id
    from source

),

deduplicated as (

    select *
    from renamed
    {{ caec.keep_latest('session_date, session_id', 'run_id desc') }}

)

select * from deduplicated
