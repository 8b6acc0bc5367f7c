{#- How each engine reads the Spark output (docs/metrics.md "Reading the Spark output").
    DuckDB: sources carry meta.external_location (read_parquet over the hive partitions), nothing to create.
    BigQuery: external tables over gs:// with hive partitioning, (re)created by the on-run-start hook.
    Why external tables and not loads: an external table is always exactly the staging data (no load jobs
    to orchestrate, no second copy, no drift); the marts are native, partitioned and clustered, and every
    incremental build reads only the window's hive partitions (partition pruning on event_date /
    session_date / ingest_date).
    What is published is decided by the pointer `_current.jsonl` (docs/data-contract.md, "The publish
    pointer"): each partition folder holds version folders `v=<run_id>`, and staged_source keeps only the
    versions (and manifests) the pointer names, in the same query, so a query sees one published state
    even while a run is publishing or was killed half-way. -#}

{#- Every staged dataset: source table -> (path under its root, hive partition column, format, the
    column matched against the pointer's `key`). -#}
{% macro staged_datasets() -%}
    {#- Same resolution as the sources' meta.external_location: unset or empty -> default; file:// and a
        trailing slash dropped (DuckDB wants plain paths; gs:// stays as is). -#}
    {%- set staging = (env_var('CAEC_STAGING_URI', '') | trim or env_var('CAEC_DATA_DIR', 'data') ~ '/staging').replace('file://', '').rstrip('/') -%}
    {%- set quarantine = (env_var('CAEC_QUARANTINE_URI', '') | trim or staging ~ '/quarantine').replace('file://', '').rstrip('/') -%}
    {{ return({
        'events': {'uri': staging ~ '/events', 'partition': 'event_date', 'format': 'PARQUET', 'key': 'event_date'},
        'sessions': {'uri': staging ~ '/sessions', 'partition': 'session_date', 'format': 'PARQUET', 'key': 'session_date'},
        'quarantine': {'uri': quarantine, 'partition': 'ingest_date', 'format': 'PARQUET', 'key': 'ingest_date'},
        'manifests': {'uri': staging ~ '/manifests', 'partition': none, 'format': 'NEWLINE_DELIMITED_JSON', 'key': 'run_id'},
        'current': {'uri': staging ~ '/_current.jsonl', 'partition': none, 'format': 'NEWLINE_DELIMITED_JSON', 'key': none},
    }) }}
{%- endmacro %}

{% macro create_external_sources() %}
    {{ return(adapter.dispatch('create_external_sources', 'caec')()) }}
{% endmacro %}

{% macro default__create_external_sources() %}
    {#- DuckDB reads the files in place (sources' meta.external_location): nothing to create. -#}
    {{ return('') }}
{% endmacro %}

{% macro bigquery__create_external_sources() %}
    {%- set statements = [] -%}
    {%- for name, ds in caec.staged_datasets().items() -%}
        {%- set rel = source('caec_staging', name) -%}
        {%- if ds.partition -%}
            {#- Two hive levels: <partition>=D/v=<run_id>/part-*.parquet (the pointer picks one v per D). -#}
            {%- do statements.append(
                "create or replace external table " ~ rel ~ "\n"
                ~ "with partition columns (" ~ ds.partition ~ " date, v string)\n"
                ~ "options (format = 'PARQUET', uris = ['" ~ ds.uri ~ "/*.parquet'], "
                ~ "hive_partition_uri_prefix = '" ~ ds.uri ~ "', require_hive_partition_filter = false)") -%}
        {%- elif name == 'current' -%}
            {#- The pointer: one object, replaced whole by each publish (a query reads one generation). -#}
            {%- do statements.append(
                "create or replace external table " ~ rel ~ " (\n"
                ~ "  dataset string, key string, version string, status string)\n"
                ~ "options (format = 'NEWLINE_DELIMITED_JSON', uris = ['" ~ ds.uri ~ "'], ignore_unknown_values = true)") -%}
        {%- else -%}
            {#- Manifests: one single-line JSON object per run; keys we do not model are ignored. -#}
            {%- do statements.append(
                "create or replace external table " ~ rel ~ " (\n"
                ~ "  run_id string, started_at string, finished_at string, rules_version string, input string,\n"
                ~ "  format string, `window` struct<start string, `end` string, lookback_hours int64>,\n"
                ~ "  counts struct<`read` int64, valid int64, quarantined int64, filtered int64, human int64,\n"
                ~ "    bot int64, late int64, sessions int64, human_sessions int64, bot_sessions int64>,\n"
                ~ "  reconciled bool)\n"
                ~ "options (format = 'NEWLINE_DELIMITED_JSON', uris = ['" ~ ds.uri ~ "/*.json'], ignore_unknown_values = true)") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(statements | join(';\n') ~ ';') }}
{% endmacro %}

{#- A staged source as published: only the partition versions (and manifests) the pointer names.
    The semi-join is part of the model's query, so the pointer and the data are read by one statement on
    both engines. A source may legitimately have no files yet (a clean run writes no quarantine; a fresh
    staging root has no manifests, or no pointer at all). DuckDB's read_parquet/read_json fail on an empty
    glob, so there we substitute an empty relation with the source's declared columns. Events and
    sessions stay strict: nothing published is an error the message below explains. -#}
{% macro staged_source(name, may_be_empty=false) %}
    {%- set rel = source('caec_staging', name) -%}
    {%- set ds = caec.staged_datasets()[name] -%}
    {%- if execute and target.type == 'duckdb' -%}
        {%- set pattern = ds.uri ~ ('/*/*/*.parquet' if ds.partition else '/*.json') -%}
        {%- set pointer = caec.staged_datasets()['current'].uri -%}
        {%- set found = run_query("select (select count(*) from glob('" ~ pattern ~ "')) * (select count(*) from glob('" ~ pointer ~ "'))").columns[0].values()[0] -%}
        {%- if found == 0 -%}
            {%- if not may_be_empty -%}
                {{ exceptions.raise_compiler_error("Nothing published: no " ~ name ~ " files match " ~ pattern ~ " or no pointer " ~ pointer ~ ". Run the Spark job first (make run, or python -m caec_spark sessionize --output ...) or point CAEC_STAGING_URI at its output root.") }}
            {%- endif -%}
            {%- set node = graph.sources['source.caec.caec_staging.' ~ name] -%}
            {%- set cols = [] -%}
            {%- for col in node.columns.values() -%}
                {%- do cols.append('cast(null as ' ~ col.data_type ~ ') as ' ~ adapter.quote(col.name)) -%}
            {%- endfor -%}
            {{ return('(select ' ~ cols | join(', ') ~ ' where 1 = 0)') }}
        {%- endif -%}
    {%- endif -%}
    {%- set pointer = source('caec_staging', 'current') -%}
    {%- set conditions = [
        "pointer.dataset = '" ~ name ~ "'",
        "pointer.status = 'current'",
        "pointer." ~ adapter.quote('key') ~ " = cast(staged." ~ ds.key ~ " as " ~ dbt.type_string() ~ ")",
    ] -%}
    {%- if ds.partition -%}{%- do conditions.append("pointer.version = staged.v") -%}{%- endif -%}
    {{ return("(select staged.* from " ~ rel ~ " as staged where exists (select 1 from " ~ pointer
        ~ " as pointer where " ~ conditions | join(" and ") ~ "))") }}
{% endmacro %}
