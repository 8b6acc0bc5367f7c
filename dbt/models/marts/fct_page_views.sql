{{ config(**caec.day_partitioned('session_date', cluster_by=['page_path', 'session_id'], require_filter=true)) }}
-- Grain: one row per page event (page_view or product_view) of a session, partitioned by the session's date.
-- The columns are int_page_views' own: the enforced contract (_marts__models.yml) pins their names, types
-- and order, and dbt selects exactly the contract's columns from this query (an extra or missing column
-- fails the build), so restating the list here would only be a second copy to keep in step (hence AM04 off).

select * from {{ ref('int_page_views') }}  -- noqa: AM04
