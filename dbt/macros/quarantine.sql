{#- The Spark job's quarantine reason codes: the full list of docs/data-contract.md (quarantine.reason), in
    its order. agg_data_quality_daily gives each its own quarantined_<reason> column, so a steward sees every
    documented cause by name; a code the job adds later lands in quarantined_other until it is listed here
    (and in the mart's contract). tests/python/test_quarantine_reasons.py fails if this list and the data
    contract drift apart. -#}
{% macro quarantine_reasons() -%}
    {{ return([
        'parse_error', 'missing_field', 'bad_timestamp', 'future_timestamp', 'bad_value', 'bad_encoding',
        'line_too_long', 'unknown_event_type', 'wrong_columns', 'bad_header', 'empty_file', 'corrupt_file',
    ]) }}
{%- endmacro %}

{#- SQL: the per-reason columns plus quarantined_other added up (they must equal records_quarantined). -#}
{% macro quarantined_by_reason_total() -%}
    {%- for reason in caec.quarantine_reasons() %}quarantined_{{ reason }} + {% endfor -%}
    quarantined_other
{%- endmacro %}
