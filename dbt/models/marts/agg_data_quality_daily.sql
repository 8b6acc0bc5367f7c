{{ config(**caec.day_partitioned('date_day')) }}
-- Grain: one row per day: valid events by event_date (humans and bots) and quarantined records by
-- ingest_date (one column per documented reason, macros/quarantine.sql), with shares and the run manifests
-- whose window covers the day.

{%- set reasons = caec.quarantine_reasons() %}

with

events as (

    select
        event_date as date_day,
        count(*) as events_valid,
        {{ caec.count_if('not is_bot') }} as human_events,
        {{ caec.count_if('is_bot') }} as bot_events,
        {{ caec.count_if('is_late') }} as late_events
    from {{ ref('stg_caec__events') }}
    where {{ caec.in_window('event_date') }}
    group by event_date

),

quarantine as (

    select
        ingest_date as date_day,
        cast(sum(record_count) as {{ dbt.type_bigint() }}) as records_quarantined,
        {%- for reason in reasons %}
            cast(
                sum(case when reason = '{{ reason }}' then record_count else 0 end) as {{ dbt.type_bigint() }}
            ) as quarantined_{{ reason }},
        {%- endfor %}
        cast(
            sum(case when reason in ({{ "'" ~ reasons | join("', '") ~ "'" }}) then 0 else record_count end)
            as {{ dbt.type_bigint() }}
        ) as quarantined_other
    from {{ ref('stg_caec__quarantine_counts') }}
    where {{ caec.in_window('ingest_date') }}
    group by ingest_date

),

days as (

    select distinct date_day
    from (
        select date_day from events
        union all
        select date_day from quarantine
    ) as all_days

),

runs as (

    -- an inner range join, then a left join on the day: BigQuery outer joins need an equality condition
    select
        days.date_day,
        count(*) as runs,
        min(case when stg_runs.is_reconciled then 1 else 0 end) as min_reconciled
    from days
    inner join {{ ref('stg_caec__runs') }} as stg_runs
        on days.date_day >= stg_runs.window_start_date and days.date_day < stg_runs.window_end_date
    group by days.date_day

),

combined as (

    select
        days.date_day,
        coalesce(events.events_valid, 0) as events_valid,
        coalesce(events.human_events, 0) as human_events,
        coalesce(events.bot_events, 0) as bot_events,
        coalesce(events.late_events, 0) as late_events,
        coalesce(quarantine.records_quarantined, 0) as records_quarantined,
        {%- for reason in reasons %}
            coalesce(quarantine.quarantined_{{ reason }}, 0) as quarantined_{{ reason }},
        {%- endfor %}
        coalesce(quarantine.quarantined_other, 0) as quarantined_other,
        coalesce(runs.runs, 0) as runs,
        coalesce(runs.min_reconciled = 1, false) as all_runs_reconciled
    from days
    left join events on days.date_day = events.date_day
    left join quarantine on days.date_day = quarantine.date_day
    left join runs on days.date_day = runs.date_day

)

select
    date_day,
    events_valid + records_quarantined as records_read,
    events_valid,
    human_events,
    bot_events,
    late_events,
    records_quarantined,
    {%- for reason in reasons %}
        quarantined_{{ reason }},
    {%- endfor %}
    quarantined_other,
    {{ caec.safe_ratio('records_quarantined', 'events_valid + records_quarantined') }} as quarantine_share,
    {{ caec.safe_ratio('bot_events', 'events_valid') }} as bot_share,
    {{ caec.safe_ratio('late_events', 'events_valid') }} as late_share,
    runs,
    all_runs_reconciled
from combined
