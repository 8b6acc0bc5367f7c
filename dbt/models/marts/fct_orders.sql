{{ config(**caec.day_partitioned('session_date', cluster_by=['channel', 'visitor_id'])) }}
-- Grain: one row per order (transaction_id; a purchase without one is its own order keyed by event_id),
-- partitioned by the date its session started.

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

purchases as (

    select
        coalesce(transaction_id, event_id) as order_id,
        session_id,
        visitor_id,
        event_at,
        seq_in_session,
        revenue,
        is_bot
    from {{ ref('stg_caec__events') }}
    where {{ caec.in_session_event_window('event_date') }}
        and event_type = 'purchase'

),

first_views as (

    select
        session_id,
        min(seq_in_session) as first_view_seq
    from {{ ref('stg_caec__events') }}
    where {{ caec.in_session_event_window('event_date') }}
        and event_type = 'product_view'
    group by session_id

),

orders as (

    select
        purchases.order_id,
        purchases.session_id,
        min(purchases.visitor_id) as visitor_id,
        min(purchases.event_at) as ordered_at,
        min(purchases.seq_in_session) as first_purchase_seq,
        count(*) as item_count,
        sum(purchases.revenue) as revenue,
        max(case when purchases.is_bot then 1 else 0 end) = 1 as is_bot
    from purchases
    group by purchases.order_id, purchases.session_id

)

select
    orders.order_id,
    orders.session_id,
    orders.visitor_id,
    sessions.session_date,
    {{ caec.to_date('orders.ordered_at') }} as order_date,
    orders.ordered_at,
    orders.item_count,
    orders.revenue,
    coalesce(first_views.first_view_seq < orders.first_purchase_seq, false) as is_after_view,
    sessions.channel,
    sessions.device_type,
    orders.is_bot
from orders
inner join sessions on orders.session_id = sessions.session_id
left join first_views on orders.session_id = first_views.session_id
