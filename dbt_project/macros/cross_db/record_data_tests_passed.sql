{# on-run-end: after a complete build where every model and data test succeeded, record each
   test as passed through the batch noted at the start; otherwise keep the previous record (the
   rows of a failed build are checked again by the next one). #}
{% macro record_data_tests_passed(results) -%}
    {{- return(adapter.dispatch('record_data_tests_passed', 'grouplake')(results)) -}}
{%- endmacro %}

{% macro default__record_data_tests_passed(results) -%}{%- endmacro %}

{% macro duckdb__record_data_tests_passed(results) -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set state = grouplake.data_test_state_relation() -%}
    {%- set passed = [] -%}
    {%- for r in results if r.status in ('success', 'pass') -%}
        {%- do passed.append(r.node.unique_id) -%}
    {%- endfor -%}
    {%- set tests = [] -%}
    {%- set missing = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type in ('model', 'test') -%}
        {%- if node.resource_type == 'test' -%}{%- do tests.append(node.unique_id) -%}{%- endif -%}
        {%- if node.unique_id not in passed -%}{%- do missing.append(node.unique_id) -%}{%- endif -%}
    {%- endfor -%}
    {%- set run_row = "'run:" ~ invocation_id ~ "'" -%}
    {%- if not missing and tests -%}
    delete from {{ state }} where test_id not like 'run:%';
    insert into {{ state }}
    select t.test_id, t.fingerprint, r.tested_through, current_timestamp
    from (values
        {%- for uid in tests %}
        ('{{ uid }}', '{{ grouplake.data_test_fingerprint(uid) }}'){% if not loop.last %},{% endif %}
        {%- endfor %}
    ) as t(test_id, fingerprint)
    cross join (select tested_through from {{ state }} where test_id = {{ run_row }}) as r;
    {% endif -%}
    delete from {{ state }} where test_id = {{ run_row }}
{%- endmacro %}
