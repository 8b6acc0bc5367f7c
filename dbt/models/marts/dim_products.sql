{{ config(**caec.keyed_by('product_id')) }}
-- Grain: one row per product (item_id) seen in human traffic; category, brand and price of its latest event.
-- Built from the small per-day product table (int_product_daily), never from the events. Incremental, merged
-- by product_id: a run recomputes only the products it can change (seen in the rebuilt days now, or a
-- stored row whose history may include them) from their int_product_daily rows.
with

touched as (

    select item_id
    from {{ ref('int_product_daily') }}
    where {{ caec.in_window('event_date') }}
    {%- if caec.incremental_run() %}
    union all
    select product_id as item_id
    from {{ this }}
    where {{ caec.overlaps_window(caec.to_date('first_seen_at'), caec.to_date('last_seen_at')) }}
    {%- endif %}

),

daily as (

    select *
    from {{ ref('int_product_daily') }}
    where item_id in (select touched.item_id from touched)

),

latest as (

    select
        item_id,
        category,
        brand,
        latest_price
    from daily
    {{ caec.keep_latest('item_id', 'latest_event_at desc, latest_event_id desc') }}

),

totals as (

    select
        item_id,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        cast(sum(view_count) as {{ dbt.type_bigint() }}) as view_count,
        cast(sum(cart_count) as {{ dbt.type_bigint() }}) as cart_count,
        cast(sum(purchase_count) as {{ dbt.type_bigint() }}) as purchase_count,
        sum(revenue) as revenue
    from daily
    group by item_id

)

select
    totals.item_id as product_id,
    latest.category,
    latest.brand,
    latest.latest_price,
    totals.first_seen_at,
    totals.last_seen_at,
    totals.view_count,
    totals.cart_count,
    totals.purchase_count,
    totals.revenue
from totals
inner join latest on totals.item_id = latest.item_id
