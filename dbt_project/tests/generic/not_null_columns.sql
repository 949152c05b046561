{#
  None of `columns` is null in any row: one test for all the not-null columns of a table,
  instead of one dbt `not_null` per column. Every data test is a dbt node with its own fixed
  cost on every build (compiling, a query, bookkeeping: tens of ms of dbt's CPU however few
  rows it reads), so 78 `not_null` nodes were a large share of a build with little or no new
  data (docs/benchmarks.md); the table is read once for all its columns.

      data_tests:
        - not_null_columns:
            arguments:
              columns: [group_type, group_id]

  A failure lists each column that has nulls with its number of null rows; the test's failure
  count is the number of null values (fail_calc).
#}
{% test not_null_columns(model, columns) %}

{{ config(fail_calc='coalesce(sum(null_rows), 0)') }}

with null_counts as (

    select
        {%- for column in columns %}
        sum(case when {{ column }} is null then 1 else 0 end) as null_rows_{{ loop.index }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ model }}

)

{% for column in columns -%}
select '{{ column }}' as null_column, null_rows_{{ loop.index }} as null_rows
from null_counts
where null_rows_{{ loop.index }} > 0
{% if not loop.last %}union all
{% endif %}
{%- endfor %}

{% endtest %}
