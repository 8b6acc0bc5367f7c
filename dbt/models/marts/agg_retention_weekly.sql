{{ config(**caec.day_partitioned('activity_week', cluster_by=['cohort_week'])) }}
-- Grain: one row per cohort week (ISO week, Monday, of a visitor's first session) x weeks since then.
-- Incremental by activity_week: a run rebuilds every activity week from the Monday of the window's first
-- day on. Why that is enough: the window can only change cohorts whose first sessions lie in those weeks
-- (first touch moves only within the rebuilt days) and activity in those weeks; rows of earlier activity
-- weeks did not change. Earlier cohorts keep their stored size (their members and week-0 activity lie
-- before the rebuilt weeks). So a day's run reads at most the current week's sessions, not all history.
{%- set first_week = caec.window_first_week_literal() %}

with

activity as (

    select distinct
        visitor_id,
        {{ caec.week_start('session_date') }} as activity_week
    from {{ ref('fct_sessions') }}
    where session_date >= {{ first_week }}
        and {{ caec.traffic_filter() }}

),

visitors as (

    select
        visitor_id,
        cohort_week
    from {{ ref('int_visitor_first_touch') }}
    where visitor_id in (select activity.visitor_id from activity)

),

cohort_activity as (

    select
        visitors.cohort_week,
        activity.activity_week,
        cast(
            {{ caec.days_between('visitors.cohort_week', 'activity.activity_week') }} / 7
            as {{ dbt.type_bigint() }}
        ) as week_number,
        activity.visitor_id
    from activity
    inner join visitors on activity.visitor_id = visitors.visitor_id

),

cohort_sizes as (

    select
        cohort_week,
        count(*) as cohort_visitors
    from cohort_activity
    where week_number = 0
    group by cohort_week
    {%- if caec.incremental_run() %}
    union all
    select distinct
        cohort_week,
        cohort_visitors
    from {{ this }}
    where cohort_week < {{ first_week }}
    {%- endif %}

),

retention as (

    select
        cohort_week,
        week_number,
        activity_week,
        count(distinct visitor_id) as active_visitors
    from cohort_activity
    group by cohort_week, week_number, activity_week

)

select
    retention.cohort_week,
    retention.week_number,
    retention.activity_week,
    cohort_sizes.cohort_visitors,
    retention.active_visitors,
    {{ caec.safe_ratio('retention.active_visitors', 'cohort_sizes.cohort_visitors') }} as retention_rate
from retention
inner join cohort_sizes on retention.cohort_week = cohort_sizes.cohort_week
