{{ config(**caec.day_partitioned('session_date', cluster_by=['channel', 'device_type', 'visitor_id'])) }}
-- Grain: one row per session (humans and bots, is_bot flags them), partitioned by session_date.

with

sessions as (

    select *
    from {{ ref('stg_caec__sessions') }}
    where {{ caec.in_window('session_date') }}

),

funnel as (

    select
        session_id,
        reached_product_view,
        reached_cart,
        reached_purchase
    from {{ ref('int_session_funnel') }}

)

select
    sessions.session_id,
    sessions.visitor_id,
    sessions.session_date,
    sessions.session_started_at,
    sessions.session_ended_at,
    sessions.duration_s,
    sessions.event_count,
    sessions.page_view_count,
    sessions.entry_page,
    sessions.exit_page,
    sessions.landing_referrer,
    sessions.utm_source,
    sessions.utm_medium,
    sessions.utm_campaign,
    sessions.channel,
    sessions.device_type,
    sessions.is_bounce,
    sessions.is_converted,
    sessions.order_count,
    sessions.revenue,
    coalesce(funnel.reached_product_view, false) as reached_product_view,
    coalesce(funnel.reached_cart, false) as reached_cart,
    coalesce(funnel.reached_purchase, false) as reached_purchase,
    sessions.is_bot,
    sessions.bot_reason
from sessions
left join funnel on sessions.session_id = funnel.session_id
