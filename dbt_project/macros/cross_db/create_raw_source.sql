{#
  ---- the raw source where it is not a warehouse table (on-run-start hook) -----------------
  DuckDB reads raw.group_events, written by the loader: nothing to do. Spark reads the lake:
  the hook (re)creates the view <raw schema>.group_events over the Parquet dataset
  `<lake>/group_events` (GROUPLAKE_LAKE), whose received_date partitions Spark discovers when
  a query runs, so a load needs no metastore refresh. Renders no SQL (the statements run here).
#}
{% macro create_raw_source() %}{{ return(adapter.dispatch('create_raw_source', 'grouplake')()) }}{% endmacro %}
{% macro default__create_raw_source() %}{{ return('') }}{% endmacro %}
{% macro spark__create_raw_source() %}
    {%- if execute -%}
        {%- set lake = env_var('GROUPLAKE_LAKE', '') | trim -%}
        {%- if not lake -%}
            {{ exceptions.raise_compiler_error("GROUPLAKE_LAKE is not set: the Spark target reads the raw events from <lake>/group_events") }}
        {%- endif -%}
        {%- set raw_schema = var('grouplake_raw_schema', 'raw') -%}
        {%- set dataset = (lake.rstrip('/') ~ '/group_events') | replace('`', '``') -%}
        {%- do run_query('create schema if not exists ' ~ raw_schema) -%}
        {%- do run_query('create or replace view ' ~ raw_schema ~ '.group_events as select * from parquet.`' ~ dataset ~ '`') -%}
    {%- endif -%}
    {{- return('') -}}
{% endmacro %}
