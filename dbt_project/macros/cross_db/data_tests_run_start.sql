{# on-run-start: create the state table; a full refresh clears it (the tables are rebuilt, so
   every test checks everything until a complete build passes); remember the newest raw batch
   as this run starts (what a passing complete build has checked through). #}
{% macro data_tests_run_start() -%}
    {{- return(adapter.dispatch('data_tests_run_start', 'grouplake')()) -}}
{%- endmacro %}

{% macro default__data_tests_run_start() -%}{%- endmacro %}

{% macro duckdb__data_tests_run_start() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set state = grouplake.data_test_state_relation() -%}
    {%- set src = graph.sources['source.grouplake.grouplake.group_events'] -%}
    {%- set raw = api.Relation.create(database=src.database, schema=src.schema, identifier=src.identifier) -%}
    create schema if not exists {{ state.include(identifier=false) }};
    create table if not exists {{ state }} (
        test_id varchar, fingerprint varchar, tested_through bigint, recorded_at timestamp with time zone
    );
    {% if flags.FULL_REFRESH -%}
    delete from {{ state }};
    {% endif -%}
    delete from {{ state }} where test_id like 'run:%';
    insert into {{ state }}
    select 'run:{{ invocation_id }}', null,
        (select coalesce(max(batch_id), -1) from {{ raw }}),
        current_timestamp
{%- endmacro %}
