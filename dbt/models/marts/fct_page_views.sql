{{ config(**caec.day_partitioned('session_date', cluster_by=['page_path', 'session_id'], require_filter=true)) }}
-- Grain: one row per page event (page_view or product_view) of a session, partitioned by the session's date.

select
    page_view_id,
    session_id,
    visitor_id,
    session_date,
    event_date,
    viewed_at,
    seq_in_session,
    page_number,
    event_type,
    page_path,
    page_url,
    referrer,
    item_id,
    category,
    brand,
    price,
    time_on_page_s,
    is_entry,
    is_exit,
    channel,
    device_type,
    is_bot
from {{ ref('int_page_views') }}
