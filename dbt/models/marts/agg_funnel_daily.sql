{{ config(**caec.day_partitioned('date_day')) }}
-- Grain: one row per day. Ordered funnel product view -> cart -> purchase (see int_session_funnel).

with

sessions as (

    select *
    from {{ ref('fct_sessions') }}
    where {{ caec.in_window('session_date') }}
        and {{ caec.traffic_filter() }}

),

daily as (

    select
        session_date as date_day,
        count(*) as sessions,
        {{ caec.count_if('reached_product_view') }} as product_view_sessions,
        {{ caec.count_if('reached_cart') }} as cart_sessions,
        {{ caec.count_if('reached_purchase') }} as purchase_sessions
    from sessions
    group by session_date

)

select
    date_day,
    sessions,
    product_view_sessions,
    cart_sessions,
    purchase_sessions,
    {{ caec.safe_ratio('cart_sessions', 'product_view_sessions') }} as view_to_cart_rate,
    {{ caec.safe_ratio('purchase_sessions', 'cart_sessions') }} as cart_to_purchase_rate,
    {{ caec.safe_ratio('purchase_sessions', 'product_view_sessions') }} as view_to_purchase_rate
from daily
