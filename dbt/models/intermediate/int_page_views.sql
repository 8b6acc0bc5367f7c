-- One row per page event (page_view or product_view) of the window's sessions, with time on page:
-- seconds until the session's next event of any type (null on the session's last event).
with

sessions as (

    select
        session_id,
        session_date,
        channel,
        device_type
    from {{ ref('stg_caec__sessions') }}
    where {{ caec.in_window('session_date') }}

),

events as (

    select *
    from {{ ref('stg_caec__events') }}
    where {{ caec.in_session_event_window('event_date') }}

),

sequenced as (

    select
        events.*,
        sessions.session_date,
        sessions.channel,
        sessions.device_type as session_device_type,
        lead(events.event_at) over (
            partition by events.session_id order by events.seq_in_session
        ) as next_event_at
    from events
    inner join sessions on events.session_id = sessions.session_id

),

page_events as (

    select
        event_id as page_view_id,
        session_id,
        visitor_id,
        session_date,
        event_date,
        event_at as viewed_at,
        seq_in_session,
        row_number() over (partition by session_id order by seq_in_session) as page_number,
        event_type,
        page_path,
        page_url,
        referrer,
        item_id,
        category,
        brand,
        price,
        case
            when next_event_at is not null then {{ caec.seconds_between('event_at', 'next_event_at') }}
        end as time_on_page_s,
        channel,
        session_device_type as device_type,
        is_bot
    from sequenced
    where event_type in ('page_view', 'product_view')

),

flagged as (

    select
        page_events.*,
        page_events.page_number = 1 as is_entry,
        page_events.page_number = max(page_events.page_number) over (partition by page_events.session_id) as is_exit
    from page_events

)

select * from flagged
