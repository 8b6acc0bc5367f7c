-- Grain: one row per cohort week (ISO week, Monday, of a visitor's first session) x weeks since then.
-- A table rebuilt from fct_sessions each build: a cohort's size and activity span all history.

with

visitors as (

    select
        visitor_id,
        cohort_week
    from {{ ref('int_visitor_first_touch') }}

),

activity as (

    select distinct
        visitor_id,
        {{ caec.week_start('session_date') }} as activity_week
    from {{ ref('fct_sessions') }}
    where {{ caec.all_days('session_date') }}
        and {{ caec.traffic_filter() }}

),

cohort_activity as (

    select
        visitors.cohort_week,
        activity.activity_week,
        cast(
            {{ caec.days_between('visitors.cohort_week', 'activity.activity_week') }} / 7
            as {{ caec.type_bigint() }}
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
