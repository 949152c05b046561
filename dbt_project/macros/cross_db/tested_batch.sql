{# The batch through which the running data test passed a complete build, as a SQL expression
   (-1, all rows, when the state has no row for the test as it is now); none: check all rows
   (a full refresh, the var grouplake_full_data_tests, a command that runs no hooks, an engine
   without the state). A subquery rather than a value read when the test compiles: no query per
   test, and the state table is read inside the test's own query. #}
{% macro tested_batch() -%}
    {{- return(adapter.dispatch('tested_batch', 'grouplake')()) -}}
{%- endmacro %}

{% macro default__tested_batch() -%}
    {{- return(none) -}}
{%- endmacro %}

{% macro duckdb__tested_batch() -%}
    {%- if flags.FULL_REFRESH or var('grouplake_full_data_tests', false)
          or model.resource_type != 'test' or flags.WHICH not in ('build', 'test', 'retry') -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return(
        "coalesce((select max(tested_through) from " ~ grouplake.data_test_state_relation()
        ~ " where test_id = '" ~ model.unique_id ~ "' and fingerprint = '"
        ~ grouplake.data_test_fingerprint(model.unique_id) ~ "'), -1)") -}}
{%- endmacro %}
