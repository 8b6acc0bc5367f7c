-- One row per visitor (all history): the visitor's first session, its date, ISO cohort week, channel and
-- device. Ties on the start time break on session_id so the answer is deterministic.
with

sessions as (

    select
        visitor_id,
        session_id,
        session_started_at,
        session_date,
        channel,
        device_type
    from {{ ref('stg_caec__sessions') }}

),

ranked as (

    select
        sessions.*,
        row_number() over (
            partition by sessions.visitor_id order by sessions.session_started_at, sessions.session_id
        ) as visit_number
    from sessions

)

select
    visitor_id,
    session_id as first_session_id,
    session_started_at as first_seen_at,
    session_date as first_session_date,
    {{ caec.week_start('session_date') }} as cohort_week,
    channel as first_channel,
    device_type as first_device_type
from ranked
where visit_number = 1
