-- Grain: one row per visitor (all history; a small table rebuilt from fct_sessions on every build).
with

first_touch as (

    select * from {{ ref('int_visitor_first_touch') }}

),

activity as (

    select
        visitor_id,
        max(session_ended_at) as last_seen_at,
        count(*) as session_count,
        cast(sum(order_count) as {{ caec.type_bigint() }}) as order_count,
        sum(revenue) as revenue,
        min(case when is_bot then 1 else 0 end) = 1 as is_bot
    from {{ ref('fct_sessions') }}
    where {{ caec.all_days('session_date') }}
    group by visitor_id

)

select
    first_touch.visitor_id,
    first_touch.first_seen_at,
    activity.last_seen_at,
    first_touch.first_session_date,
    first_touch.cohort_week,
    first_touch.first_channel,
    first_touch.first_device_type,
    activity.session_count,
    activity.order_count,
    activity.revenue,
    activity.is_bot
from first_touch
inner join activity on first_touch.visitor_id = activity.visitor_id
