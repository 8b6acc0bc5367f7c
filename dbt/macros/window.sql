{#- The day window of a build. `start_date`/`end_date` (end exclusive) come from the orchestrator's data
    interval; `lookback_days` widens the start for late data. With no window every day is built (a full
    build), which is also what a first run or --full-refresh does. -#}

{% macro window_is_set() -%}
    {%- set start, end = var('start_date', none), var('end_date', none) -%}
    {%- if (start is none) != (end is none) -%}
        {{ exceptions.raise_compiler_error("Set both vars start_date and end_date (YYYY-MM-DD, end exclusive) or neither (full build); got start_date=" ~ start ~ ", end_date=" ~ end) }}
    {%- endif -%}
    {{ return(start is not none) }}
{%- endmacro %}

{#- Parse and validate a YYYY-MM-DD var; fail with the fix in the message. -#}
{% macro _parse_day(name) -%}
    {%- set raw = var(name) | string -%}
    {%- if not modules.re.match('^\d{4}-\d{2}-\d{2}$', raw) -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a date YYYY-MM-DD, got '" ~ raw ~ "'") }}
    {%- endif -%}
    {{ return(modules.datetime.datetime.strptime(raw, '%Y-%m-%d').date()) }}
{%- endmacro %}

{#- (first day, day after the last) of the rebuilt window, look-back included, as ISO strings; none if unset. -#}
{% macro window_bounds() -%}
    {%- if not caec.window_is_set() -%}{{ return(none) }}{%- endif -%}
    {%- set start = caec._parse_day('start_date') -%}
    {%- set end = caec._parse_day('end_date') -%}
    {%- set lookback = var('lookback_days', 0) | int -%}
    {%- if lookback < 0 -%}
        {{ exceptions.raise_compiler_error("var lookback_days must be >= 0, got " ~ lookback) }}
    {%- endif -%}
    {%- if end <= start -%}
        {{ exceptions.raise_compiler_error("var end_date (" ~ end ~ ") must be after start_date (" ~ start ~ "): the window is [start_date, end_date)") }}
    {%- endif -%}
    {%- set first = start - modules.datetime.timedelta(days=lookback) -%}
    {{ return((first.isoformat(), end.isoformat())) }}
{%- endmacro %}

{#- SQL predicate keeping rows of `column` (a DATE) inside the window. A full build keeps every day but still
    names the column, so BigQuery tables with require_partition_filter accept the query. -#}
{% macro in_window(column) -%}
    {%- set bounds = caec.window_bounds() -%}
    {%- if bounds is none -%}
        ({{ column }} >= {{ caec.date_literal('1900-01-01') }})
    {%- else -%}
        ({{ column }} >= {{ caec.date_literal(bounds[0]) }} and {{ column }} < {{ caec.date_literal(bounds[1]) }})
    {%- endif -%}
{%- endmacro %}

{#- Events of the window's sessions: a session starting on day D can run past midnight, so events are read
    from the window's first day up to the last day any of the window's sessions ended. The bound is looked
    up once per model at run time (a tiny query over the window's session partitions) so the event scan
    stays proportional to the window, not to the history. Commands that only render SQL (compile, docs,
    the offline BigQuery check, sqlfluff) must not need a warehouse connection: they show the bound as the
    window's end plus one day. -#}
{% macro in_session_event_window(column) -%}
    {%- set bounds = caec.window_bounds() -%}
    {%- if bounds is none -%}
        {{ return('(1 = 1)') }}
    {%- endif -%}
    {%- set upper = bounds[1] -%}
    {%- if not (execute and flags.WHICH in ['run', 'build']) -%}
        {%- set upper = (modules.datetime.datetime.strptime(upper, '%Y-%m-%d').date() + modules.datetime.timedelta(days=1)).isoformat() -%}
    {%- else -%}
        {%- set q -%}
            select cast(max({{ caec.to_date('session_end') }}) as {{ dbt.type_string() }}) as last_day
            from {{ source('caec_staging', 'sessions') }}
            where {{ caec.in_window('session_date') }}
        {%- endset -%}
        {%- set last_day = run_query(q).columns[0].values()[0] -%}
        {%- if last_day is not none and (last_day | string) >= upper -%}
            {%- set upper = (modules.datetime.datetime.strptime(last_day | string, '%Y-%m-%d').date() + modules.datetime.timedelta(days=1)).isoformat() -%}
        {%- endif -%}
    {%- endif -%}
    {{ return('(' ~ column ~ ' >= ' ~ caec.date_literal(bounds[0]) ~ ' and ' ~ column ~ ' < ' ~ caec.date_literal(upper) ~ ')') }}
{%- endmacro %}

{#- Aggregates: count bot traffic too only when var include_bots is true. -#}
{% macro traffic_filter(is_bot_column='is_bot') -%}
    {%- if var('include_bots', false) | string | lower in ['true', '1', 'yes'] -%}
        (1 = 1)
    {%- else -%}
        (not {{ is_bot_column }})
    {%- endif -%}
{%- endmacro %}

{#- Config shared by the incremental marts: one day partition per `partition_column`.
    BigQuery: insert_overwrite replaces exactly the day partitions the build produced (dynamic partitions),
    clustered; DuckDB: delete+insert keyed on the day column does the same. -#}
{% macro day_partitioned(partition_column, cluster_by=none, require_filter=false) -%}
    {%- if target.type == 'bigquery' -%}
        {{ return({
            'materialized': 'incremental',
            'incremental_strategy': 'insert_overwrite',
            'partition_by': caec.day_partition_spec(partition_column),
            'cluster_by': cluster_by,
            'require_partition_filter': require_filter,
            'on_schema_change': 'fail',
        }) }}
    {%- else -%}
        {#- keyed on the day column: the DuckDB config of keyed_by -#}
        {{ return(caec.keyed_by(partition_column)) }}
    {%- endif -%}
{%- endmacro %}

{#- BigQuery partition_by of a table partitioned by one day per `column`. -#}
{% macro day_partition_spec(column) -%}
    {{ return({'field': column, 'data_type': 'date', 'granularity': 'day'}) }}
{%- endmacro %}

{#- Config shared by the tables keyed by an entity (visitors, products) that span all history: a run merges
    only the keys it recomputed. BigQuery: merge on the key (clustered by it, optionally partitioned so that
    date filters on the stored rows prune); DuckDB: delete+insert keyed on it does the same. -#}
{% macro keyed_by(unique_key, partition_column=none, cluster_by=none) -%}
    {%- if target.type == 'bigquery' -%}
        {%- set config = {
            'materialized': 'incremental',
            'incremental_strategy': 'merge',
            'unique_key': unique_key,
            'cluster_by': cluster_by or [unique_key],
            'on_schema_change': 'fail',
        } -%}
        {%- if partition_column -%}
            {%- do config.update({'partition_by': caec.day_partition_spec(partition_column)}) -%}
        {%- endif -%}
        {{ return(config) }}
    {%- else -%}
        {{ return({
            'materialized': 'incremental',
            'incremental_strategy': 'delete+insert',
            'unique_key': unique_key,
            'on_schema_change': 'fail',
        }) }}
    {%- endif -%}
{%- endmacro %}

{#- is_incremental() for model SQL that reads {{ this }}. dbt's macro asks the warehouse whether the table
    exists; commands that only render SQL (compile, docs, the offline BigQuery check, sqlfluff) must not need
    a warehouse, so there the answer is var render_incremental (default false; the offline check sets it
    true to validate the incremental branch too). -#}
{% macro incremental_run() -%}
    {%- if execute and flags.WHICH in ['run', 'build', 'test', 'retry'] -%}
        {#- a unit test without a stored `this` input is a first (full) build -#}
        {{ return(this is not none and is_incremental()) }}
    {%- endif -%}
    {{ return(var('render_incremental', false) | string | lower in ['true', '1', 'yes']) }}
{%- endmacro %}

{#- SQL predicate: the span of days [first_column, last_column] (DATEs) overlaps the window (every row when no
    window). Used to find stored rows (visitors, products) whose history may include rebuilt days. -#}
{% macro overlaps_window(first_column, last_column) -%}
    {%- set bounds = caec.window_bounds() -%}
    {%- if bounds is none -%}
        ({{ first_column }} >= {{ caec.date_literal('1900-01-01') }})
    {%- else -%}
        ({{ first_column }} < {{ caec.date_literal(bounds[1]) }} and {{ last_column }} >= {{ caec.date_literal(bounds[0]) }})
    {%- endif -%}
{%- endmacro %}

{#- Date literal of the day after the window, none when no window. -#}
{% macro window_end_literal() -%}
    {%- set bounds = caec.window_bounds() -%}
    {{ return(caec.date_literal(bounds[1]) if bounds else none) }}
{%- endmacro %}

{#- Date literal of the Monday (ISO week start) of the window's first day, 1900-01-01 when no window:
    computed here, so it is a constant BigQuery can prune partitions with. -#}
{% macro window_first_week_literal() -%}
    {%- set bounds = caec.window_bounds() -%}
    {%- if bounds is none -%}{{ return(caec.date_literal('1900-01-01')) }}{%- endif -%}
    {%- set first = modules.datetime.datetime.strptime(bounds[0], '%Y-%m-%d').date() -%}
    {{ return(caec.date_literal((first - modules.datetime.timedelta(days=first.weekday())).isoformat())) }}
{%- endmacro %}
