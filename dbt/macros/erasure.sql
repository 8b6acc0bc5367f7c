{#- Erasing a data subject from the marts (docs/privacy.md, "Erasing a data subject").
    The Spark erasure first rewrites staging without the visitor and records the request in the ledger
    <staging>/_erasure/ledger.jsonl (hashed visitor_ids only). Then, on both engines:
      1. `dbt run-operation erase_visitors --args '{request_id: .., visitor_ids: [..]}'` deletes the ids
         from every table that stores visitor rows (DML; this also reaches partitions older than staging's
         retention, which no rebuild would touch) and records the rows removed per table in `erasure_log`
         next to the marts;
      2. `dbt build` over the days the ledger names rebuilds every partitioned model (aggregates included)
         from the rewritten staging. -#}

{#- Tables holding visitor rows: table or incremental models that declare a visitor_id column (marts are
    contract-enforced, so their columns are all declared), with their BigQuery partition column. -#}
{% macro erasure_targets() %}
    {%- set targets = [] -%}
    {%- for node in graph.nodes.values() | sort(attribute='name') -%}
        {%- if node.resource_type == 'model' and node.config.materialized in ['table', 'incremental'] and 'visitor_id' in node.columns -%}
            {%- set partition = (node.config.partition_by or {}).get('field') if target.type == 'bigquery' else none -%}
            {%- do targets.append({
                'name': node.name,
                'relation': api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias),
                'partition': partition,
            }) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(targets) }}
{% endmacro %}

{#- The log of mart rows removed per request and table (stewards read it with the ledger). -#}
{% macro erasure_log_relation() %}
    {{ return(api.Relation.create(database=target.database, schema=target.schema, identifier='erasure_log')) }}
{% endmacro %}

{#- Hashed ids only (32 hex characters, what the Spark job writes): anything else is refused, so a clear
    key never reaches a statement or a log, and the literal list cannot carry SQL. -#}
{% macro erasure_id_list(visitor_ids) %}
    {%- for id in visitor_ids -%}
        {%- if not modules.re.match('^[0-9a-f]{32}$', id | string) -%}
            {{ exceptions.raise_compiler_error("visitor_ids must be hashed visitor_ids (32 hex characters, from the erasure ledger), got one of length " ~ (id | string | length)) }}
        {%- endif -%}
    {%- endfor -%}
    {%- if not visitor_ids -%}
        {{ exceptions.raise_compiler_error("visitor_ids is empty: nothing to erase") }}
    {%- endif -%}
    {{ return("'" ~ visitor_ids | join("', '") ~ "'") }}
{% endmacro %}

{#- WHERE clause of one target's rows of the erased visitors. BigQuery tables may require a partition
    filter: an always-true one on the partition column satisfies it without limiting the delete. -#}
{% macro erasure_predicate(t, visitor_ids) %}
    {%- set cond = 'visitor_id in (' ~ caec.erasure_id_list(visitor_ids) ~ ')' -%}
    {%- if t.partition -%}
        {%- set cond = cond ~ ' and ' ~ t.partition ~ ' >= ' ~ caec.date_literal('1900-01-01') -%}
    {%- endif -%}
    {{ return(cond) }}
{% endmacro %}

{#- The statements of one request, as a list of SQL strings (rendered offline by the BigQuery test):
    the log table, then per target: log its matching rows, delete them. -#}
{% macro erasure_statements(request_id, visitor_ids) %}
    {%- if not modules.re.match('^[A-Za-z0-9_.-]{1,200}$', request_id | string) -%}
        {{ exceptions.raise_compiler_error("request_id must be 1-200 characters of [A-Za-z0-9_.-], got '" ~ request_id ~ "'") }}
    {%- endif -%}
    {%- set log = caec.erasure_log_relation() -%}
    {%- set statements = [
        "create table if not exists " ~ log ~ " (request_id " ~ dbt.type_string() ~ ", table_name "
            ~ dbt.type_string() ~ ", rows_removed " ~ dbt.type_bigint() ~ ", erased_at " ~ dbt.type_timestamp() ~ ")",
        "delete from " ~ log ~ " where request_id = '" ~ request_id ~ "'",
    ] -%}
    {%- for t in caec.erasure_targets() -%}
        {%- set where = caec.erasure_predicate(t, visitor_ids) -%}
        {%- do statements.append(
            "insert into " ~ log ~ " (request_id, table_name, rows_removed, erased_at) select '" ~ request_id
            ~ "', '" ~ t.name ~ "', count(*), " ~ dbt.current_timestamp() ~ " from " ~ t.relation ~ " where " ~ where) -%}
        {%- do statements.append("delete from " ~ t.relation ~ " where " ~ where) -%}
    {%- endfor -%}
    {{ return(statements) }}
{% endmacro %}

{#- run-operation entry point: runs the statements of the tables that exist (a fresh warehouse has none),
    logs the rows removed per table. Idempotent: a second run removes nothing and logs zeros. -#}
{% macro erase_visitors(request_id, visitor_ids) %}
    {%- set existing = [] -%}
    {%- for t in caec.erasure_targets() -%}
        {%- if adapter.get_relation(database=t.relation.database, schema=t.relation.schema, identifier=t.relation.identifier) is not none -%}
            {%- do existing.append(t.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set statements = caec.erasure_statements(request_id, visitor_ids) -%}
    {%- do run_query(statements[0]) -%}
    {%- do run_query(statements[1]) -%}
    {%- for t in caec.erasure_targets() -%}
        {%- if t.name in existing -%}
            {%- do run_query(statements[2 + 2 * loop.index0]) -%}
            {%- do run_query(statements[3 + 2 * loop.index0]) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do adapter.commit() -%}
    {%- set rows = run_query("select table_name, rows_removed from " ~ caec.erasure_log_relation() ~ " where request_id = '" ~ request_id ~ "' order by table_name") -%}
    {%- for row in rows -%}
        {{ log("caec erase " ~ request_id ~ ": " ~ row[0] ~ " " ~ row[1] ~ " row(s) removed", info=True) }}
    {%- endfor -%}
{% endmacro %}

{#- BigQuery: the ledger as the external table ext_erasures over its one object (on-run-start hook; the
    DuckDB source reads the file in place). Its schema is the ledger's JSON fields. -#}
{% macro create_erasure_ledger_table() %}
    {%- if target.type != 'bigquery' -%}{{ return('') }}{%- endif -%}
    {%- set staging = (env_var('CAEC_STAGING_URI', '') | trim or env_var('CAEC_DATA_DIR', 'data') ~ '/staging').rstrip('/') -%}
    {{ return(
        "create or replace external table " ~ source('caec_staging', 'erasures') ~ " (\n"
        ~ "  request_id string, requested_by string, requested_at string, key_kinds array<string>,\n"
        ~ "  visitor_ids array<string>, status string,\n"
        ~ "  staging array<struct<dataset string, `day` string, rows_removed int64>>, rows_removed int64)\n"
        ~ "options (format = 'NEWLINE_DELIMITED_JSON', uris = ['" ~ staging ~ "/_erasure/ledger.jsonl'], ignore_unknown_values = true)"
    ) }}
{% endmacro %}
