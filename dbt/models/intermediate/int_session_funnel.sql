-- One row per session of the window: the ordered funnel product view -> add to cart -> purchase.
-- A step counts only when it happens after the previous step in the same session (by seq_in_session):
-- a cart with no earlier product view, or a purchase with no earlier qualifying cart, does not count.
with

sessions as (

    select
        session_id,
        session_date
    from {{ ref('stg_caec__sessions') }}
    where {{ caec.in_window('session_date') }}

),

events as (

    select
        session_id,
        seq_in_session,
        event_type
    from {{ ref('stg_caec__events') }}
    where {{ caec.in_session_event_window('event_date') }}
        and event_type in ('product_view', 'add_to_cart', 'purchase')

),

first_view as (

    select
        session_id,
        min(seq_in_session) as view_seq
    from events
    where event_type = 'product_view'
    group by session_id

),

first_cart as (

    select
        events.session_id,
        min(events.seq_in_session) as cart_seq
    from events
    inner join first_view on events.session_id = first_view.session_id
    where events.event_type = 'add_to_cart' and events.seq_in_session > first_view.view_seq
    group by events.session_id

),

first_purchase as (

    select
        events.session_id,
        min(events.seq_in_session) as purchase_seq
    from events
    inner join first_cart on events.session_id = first_cart.session_id
    where events.event_type = 'purchase' and events.seq_in_session > first_cart.cart_seq
    group by events.session_id

)

select
    sessions.session_id,
    sessions.session_date,
    first_view.view_seq as product_view_seq,
    first_cart.cart_seq,
    first_purchase.purchase_seq,
    first_view.view_seq is not null as reached_product_view,
    first_cart.cart_seq is not null as reached_cart,
    first_purchase.purchase_seq is not null as reached_purchase
from sessions
left join first_view on sessions.session_id = first_view.session_id
left join first_cart on sessions.session_id = first_cart.session_id
left join first_purchase on sessions.session_id = first_purchase.session_id
