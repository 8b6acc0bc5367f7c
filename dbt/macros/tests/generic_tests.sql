{#- Our own generic tests (dbt packages cannot be fetched here). Each returns the failing rows. -#}

{#- Rows where a boolean SQL expression over the model's columns is false (or null). -#}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{% endtest %}

{#- Values outside [min_value, max_value] (either bound optional; nulls pass: not_null says otherwise). -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
{%- set lo = '>=' if inclusive else '>' -%}
{%- set hi = '<=' if inclusive else '<' -%}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
  and not (
    (1 = 1)
    {%- if min_value is not none %} and {{ column_name }} {{ lo }} {{ min_value }}{% endif %}
    {%- if max_value is not none %} and {{ column_name }} {{ hi }} {{ max_value }}{% endif %}
  )
{% endtest %}

{#- A rate: a share between 0 and 1 inclusive, or null when undefined (empty denominator). -#}
{% test is_rate(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} < 0 or {{ column_name }} > 1
{% endtest %}

{#- No two rows share the combination of `columns`. -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as duplicates
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}

{#- Same number of rows as another relation, both restricted to the build's day window (so incremental
    builds compare like with like) and to optional filters. -#}
{% test equal_row_count(model, compare_model, window_column, compare_window_column=none, where_clause='1 = 1', compare_where='1 = 1') %}
with
a as (
    select count(*) as n from {{ model }}
    where {{ caec.in_window(window_column) }} and ({{ where_clause }})
),
b as (
    select count(*) as n from {{ compare_model }}
    where {{ caec.in_window(compare_window_column or window_column) }} and ({{ compare_where }})
)
select a.n as model_rows, b.n as compare_rows
from a cross join b
where a.n != b.n
{% endtest %}

{#- Per group (a day), the sum of each column equals the matching aggregate over another relation: the
    breakdown-sums-to-total invariant. `compare_columns` are SQL aggregates over the other relation
    (default sum(<same column>)); doubles compare within `tolerance`; both sides restricted to the window;
    `compare_traffic_filter` applies the build's human/bot choice (var include_bots) to the other side. -#}
{% test sums_match(model, compare_model, group_by, columns, compare_group_by=none, compare_columns=none, compare_where='1 = 1', compare_traffic_filter=false, tolerance=0.000001) %}
{%- set other_key = compare_group_by or group_by -%}
{%- set other_columns = compare_columns or [] -%}
with
a as (
    select {{ group_by }} as group_key
    {%- for col in columns %}, sum({{ col }}) as c{{ loop.index }}{% endfor %}
    from {{ model }}
    where {{ caec.in_window(group_by) }}
    group by {{ group_by }}
),
b as (
    select {{ other_key }} as group_key
    {%- for col in columns %}, {{ other_columns[loop.index0] if other_columns | length > loop.index0 else 'sum(' ~ col ~ ')' }} as c{{ loop.index }}{% endfor %}
    from {{ compare_model }}
    where {{ caec.in_window(other_key) }} and ({{ compare_where }})
      {%- if compare_traffic_filter %} and {{ caec.traffic_filter() }}{% endif %}
    group by {{ other_key }}
)
select coalesce(a.group_key, b.group_key) as group_key
{%- for col in columns %}, a.c{{ loop.index }} as model_{{ col }}, b.c{{ loop.index }} as compare_{{ col }}{% endfor %}
from a
full outer join b on a.group_key = b.group_key
where a.group_key is null or b.group_key is null
{%- for col in columns %}
   or abs(coalesce(a.c{{ loop.index }}, 0) - coalesce(b.c{{ loop.index }}, 0)) > {{ tolerance }}
{%- endfor %}
{% endtest %}
