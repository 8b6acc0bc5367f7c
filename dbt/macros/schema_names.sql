{#- Staging and intermediate models go to the staging schema/dataset, marts to the target's own.
    Why: on BigQuery the datasets are platform names owned by Terraform (docs/platform-names.md), so the
    custom schema is mapped to CAEC_BQ_STAGING_DATASET instead of dbt's default "<target>_<custom>". -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif custom_schema_name == 'staging' -%}
        {{ caec.staging_schema() }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

{% macro staging_schema() -%}
    {%- if target.type == 'bigquery' -%}
        {{ env_var('CAEC_BQ_STAGING_DATASET', 'caec_local_staging') }}
    {%- else -%}
        staging
    {%- endif -%}
{%- endmacro %}
