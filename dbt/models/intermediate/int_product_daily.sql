{{ config(**caec.day_partitioned('event_date', cluster_by=['item_id'])) }}
-- One row per day x product (human events with an item_id): counts, revenue, first/last time seen and the
-- attributes of the day's latest event. Incremental by event_date so dim_products never rescans all events.
with

product_events as (

    select
        event_date,
        item_id,
        category,
        brand,
        price,
        event_type,
        event_at,
        revenue,
        event_id
    from {{ ref('stg_caec__events') }}
    where {{ caec.in_window('event_date') }}
        and item_id is not null
        and not is_bot

),

latest as (

    select *
    from product_events
    {{ caec.keep_latest('event_date, item_id', 'event_at desc, event_id desc') }}

),

counts as (

    select
        event_date,
        item_id,
        min(event_at) as first_seen_at,
        max(event_at) as last_seen_at,
        {{ caec.count_if("event_type = 'product_view'") }} as view_count,
        {{ caec.count_if("event_type = 'add_to_cart'") }} as cart_count,
        {{ caec.count_if("event_type = 'purchase'") }} as purchase_count,
        sum(case when event_type = 'purchase' then revenue else 0 end) as revenue
    from product_events
    group by event_date, item_id

)

select
    counts.event_date,
    counts.item_id,
    latest.category,
    latest.brand,
    latest.price as latest_price,
    latest.event_at as latest_event_at,
    latest.event_id as latest_event_id,
    counts.first_seen_at,
    counts.last_seen_at,
    counts.view_count,
    counts.cart_count,
    counts.purchase_count,
    counts.revenue
from counts
inner join latest on counts.event_date = latest.event_date and counts.item_id = latest.item_id
