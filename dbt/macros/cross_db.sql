{#- Dialect differences the dbt cross-database macros do not cover, one adapter.dispatch each. -#}

{#- Casts use dbt's own type macros (dbt.type_string(), dbt.type_bigint(), dbt.type_boolean(): varchar /
    bigint / boolean on DuckDB, string / bigint / boolean on BigQuery, where BIGINT and BOOLEAN are the
    aliases of INT64 and BOOL). dbt has no double: dbt.type_float() is a 4-byte FLOAT on DuckDB, hence this
    one (contracts use the same names through the YAML's data_type). -#}
{% macro type_double() %}{{ return(adapter.dispatch('type_double', 'caec')()) }}{% endmacro %}
{% macro default__type_double() %}double{% endmacro %}
{% macro bigquery__type_double() %}float64{% endmacro %}

{#- A date literal both engines parse the same way. -#}
{% macro date_literal(iso_date) -%}
    cast('{{ iso_date }}' as date)
{%- endmacro %}

{#- Timestamp -> UTC date. BigQuery DATE(ts) is UTC; DuckDB casts in the session zone (UTC, profiles.yml). -#}
{% macro to_date(expr) %}{{ return(adapter.dispatch('to_date', 'caec')(expr)) }}{% endmacro %}
{% macro default__to_date(expr) %}cast({{ expr }} as date){% endmacro %}
{% macro bigquery__to_date(expr) %}date({{ expr }}){% endmacro %}

{#- Monday of the ISO week of a DATE, as a DATE (dbt.date_trunc returns a TIMESTAMP on BigQuery and
    BigQuery's WEEK starts on Sunday, so neither is portable for cohorts). -#}
{% macro week_start(expr) %}{{ return(adapter.dispatch('week_start', 'caec')(expr)) }}{% endmacro %}
{% macro default__week_start(expr) %}cast(date_trunc('week', {{ expr }}) as date){% endmacro %}
{% macro bigquery__week_start(expr) %}date_trunc({{ expr }}, isoweek){% endmacro %}

{#- Whole days from one DATE to another (dbt.datediff casts through timestamps; this stays on dates). -#}
{% macro days_between(start_date, end_date) %}{{ return(adapter.dispatch('days_between', 'caec')(start_date, end_date)) }}{% endmacro %}
{% macro default__days_between(start_date, end_date) %}date_diff('day', {{ start_date }}, {{ end_date }}){% endmacro %}
{% macro bigquery__days_between(start_date, end_date) %}date_diff({{ end_date }}, {{ start_date }}, day){% endmacro %}

{#- Seconds between two timestamps, fractional (microsecond precision) as a double. -#}
{% macro seconds_between(start_ts, end_ts) %}{{ return(adapter.dispatch('seconds_between', 'caec')(start_ts, end_ts)) }}{% endmacro %}
{% macro default__seconds_between(start_ts, end_ts) -%}
    cast(date_diff('microsecond', {{ start_ts }}, {{ end_ts }}) as double) / 1000000.0
{%- endmacro %}
{% macro bigquery__seconds_between(start_ts, end_ts) -%}
    timestamp_diff({{ end_ts }}, {{ start_ts }}, microsecond) / 1000000.0
{%- endmacro %}

{#- Rate = numerator / denominator, null when the denominator is 0 (an undefined rate is not 0%). -#}
{% macro safe_ratio(numerator, denominator) %}{{ return(adapter.dispatch('safe_ratio', 'caec')(numerator, denominator)) }}{% endmacro %}
{% macro default__safe_ratio(numerator, denominator) -%}
    case when ({{ denominator }}) = 0 then null else cast(({{ numerator }}) as {{ caec.type_double() }}) / ({{ denominator }}) end
{%- endmacro %}
{% macro bigquery__safe_ratio(numerator, denominator) -%}
    safe_divide(({{ numerator }}), ({{ denominator }}))
{%- endmacro %}

{#- Count of rows where a condition holds (portable countif). -#}
{% macro count_if(condition) -%}
    cast(sum(case when {{ condition }} then 1 else 0 end) as {{ dbt.type_bigint() }})
{%- endmacro %}

{#- Keep one row per key (the first by `order_by`): QUALIFY where the engine has it (both of ours do). -#}
{% macro keep_latest(key, order_by) %}{{ return(adapter.dispatch('keep_latest', 'caec')(key, order_by)) }}{% endmacro %}
{% macro default__keep_latest(key, order_by) -%}
    qualify row_number() over (partition by {{ key }} order by {{ order_by }}) = 1
{%- endmacro %}
{% macro bigquery__keep_latest(key, order_by) -%}
    where true
    qualify row_number() over (partition by {{ key }} order by {{ order_by }}) = 1
{%- endmacro %}
