{{ config(**caec.day_partitioned('date_day')) }}
-- Grain: one row per day (session start date, UTC). Human sessions unless var include_bots is true.

with

sessions as (

    select *
    from {{ ref('fct_sessions') }}
    where {{ caec.in_window('session_date') }}
        and {{ caec.traffic_filter() }}

),

daily as (

    select
        session_date as date_day,
        count(distinct visitor_id) as visitors,
        count(*) as sessions,
        cast(sum(page_view_count) as {{ dbt.type_bigint() }}) as page_views,
        {{ caec.count_if('is_bounce') }} as bounced_sessions,
        avg(duration_s) as avg_session_duration_s,
        {{ caec.count_if('is_converted') }} as converted_sessions,
        cast(sum(order_count) as {{ dbt.type_bigint() }}) as orders,
        sum(revenue) as revenue
    from sessions
    group by session_date

)

select
    date_day,
    visitors,
    sessions,
    page_views,
    bounced_sessions,
    {{ caec.safe_ratio('bounced_sessions', 'sessions') }} as bounce_rate,
    avg_session_duration_s,
    {{ caec.safe_ratio('page_views', 'sessions') }} as pages_per_session,
    converted_sessions,
    {{ caec.safe_ratio('converted_sessions', 'sessions') }} as conversion_rate,
    orders,
    revenue
from daily
