{{ config(**caec.day_partitioned('date_day', cluster_by=['channel', 'device_type'])) }}
-- Grain: one row per day x channel x source x medium x device type. Sessions, page views, bounces,
-- conversions, orders and revenue add up to agg_daily_traffic; visitors do not (a visitor can use two).

with

sessions as (

    select
        session_date,
        visitor_id,
        channel,
        coalesce(utm_source, '(none)') as source,  -- noqa: RF04
        coalesce(utm_medium, '(none)') as medium,
        device_type,
        page_view_count,
        is_bounce,
        is_converted,
        order_count,
        revenue
    from {{ ref('fct_sessions') }}
    where {{ caec.in_window('session_date') }}
        and {{ caec.traffic_filter() }}

),

daily as (

    select
        session_date as date_day,
        channel,
        source,
        medium,
        device_type,
        count(distinct visitor_id) as visitors,
        count(*) as sessions,
        cast(sum(page_view_count) as {{ dbt.type_bigint() }}) as page_views,
        {{ caec.count_if('is_bounce') }} as bounced_sessions,
        {{ caec.count_if('is_converted') }} as converted_sessions,
        cast(sum(order_count) as {{ dbt.type_bigint() }}) as orders,
        sum(revenue) as revenue
    from sessions
    group by session_date, channel, source, medium, device_type

)

select
    date_day,
    channel,
    source,
    medium,
    device_type,
    visitors,
    sessions,
    page_views,
    bounced_sessions,
    converted_sessions,
    orders,
    revenue,
    {{ caec.safe_ratio('bounced_sessions', 'sessions') }} as bounce_rate,
    {{ caec.safe_ratio('converted_sessions', 'sessions') }} as conversion_rate
from daily
