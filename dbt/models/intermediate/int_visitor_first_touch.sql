{{ config(**caec.keyed_by('visitor_id', partition_column='first_session_date')) }}
-- One row per visitor (all history): the visitor's first session, its date, ISO cohort week, channel and
-- device. Ties on the start time break on session_id so the answer is deterministic.
-- Incremental, merged by visitor_id, so a day's run reads only the window's sessions, never all history:
-- a stored first session outside the rebuilt days still stands (those days did not change), so a visitor's
-- first touch is the earliest of its stored one and its sessions in the window. See the model docs.
{%- set incremental = caec.incremental_run() %}
{%- set window_end = caec.window_end_literal() %}

with

window_sessions as (

    select
        visitor_id,
        session_id,
        session_started_at,
        session_date,
        channel,
        device_type
    from {{ ref('stg_caec__sessions') }}
    where {{ caec.in_window('session_date') }}

),

{%- if incremental %}

stored as (

    -- the visitors this run may change: seen in the window, or first seen inside the rebuilt days
    select
        visitor_id,
        first_session_id as session_id,
        first_seen_at as session_started_at,
        first_session_date as session_date,
        first_channel as channel,
        first_device_type as device_type
    from {{ this }}
    where
        {{ caec.in_window('first_session_date') }}
        or visitor_id in (select window_sessions.visitor_id from window_sessions)

),

{%- endif %}

candidates as (

    select * from window_sessions
    {%- if incremental %}
    union all
    select * from stored
    where not {{ caec.in_window('session_date') }}
    {%- if window_end is not none %}
    union all
    -- a visitor first seen inside the rebuilt days with no session there any more (the staged day was
    -- re-run): its first session is now after the window (in a day-by-day build there is none yet)
    select
        later.visitor_id,
        later.session_id,
        later.session_started_at,
        later.session_date,
        later.channel,
        later.device_type
    from {{ ref('stg_caec__sessions') }} as later
    where
        later.session_date >= {{ window_end }}
        and later.visitor_id in (
            select stored.visitor_id from stored
            where {{ caec.in_window('stored.session_date') }}
        )
    {%- endif %}
    {%- endif %}

),

firsts as (

    select *
    from candidates
    {{ caec.keep_latest('visitor_id', 'session_started_at, session_id') }}

)

select
    visitor_id,
    session_id as first_session_id,
    session_started_at as first_seen_at,
    session_date as first_session_date,
    {{ caec.week_start('session_date') }} as cohort_week,
    channel as first_channel,
    device_type as first_device_type
from firsts
