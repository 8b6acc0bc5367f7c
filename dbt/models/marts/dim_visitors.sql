{{ config(**caec.keyed_by('visitor_id')) }}
-- Grain: one row per visitor (all history). Incremental, merged by visitor_id: a run recomputes only the
-- visitors it can change (a session in the rebuilt days now, or a stored row whose sessions may have been
-- there), each from its own sessions in fct_sessions; every other row stands as stored.
{%- set incremental = caec.incremental_run() %}

with

touched as (

    select visitor_id
    from {{ ref('fct_sessions') }}
    where {{ caec.in_window('session_date') }}
    {%- if incremental %}
    union all
    select visitor_id
    from {{ this }}
    where {{ caec.overlaps_window('first_session_date', caec.to_date('last_seen_at')) }}
    {%- endif %}

),

first_touch as (

    select *
    from {{ ref('int_visitor_first_touch') }}
    where visitor_id in (select touched.visitor_id from touched)

),

activity as (

    select
        visitor_id,
        max(session_ended_at) as last_seen_at,
        count(*) as session_count,
        cast(sum(order_count) as {{ dbt.type_bigint() }}) as order_count,
        sum(revenue) as revenue,
        min(case when is_bot then 1 else 0 end) = 1 as is_bot
    from {{ ref('fct_sessions') }}
    where visitor_id in (select touched.visitor_id from touched)
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
