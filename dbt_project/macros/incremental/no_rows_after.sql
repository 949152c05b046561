{#
  True when `relation` has no row whose `column` is greater than `watermark` (the
  incremental_watermark of the calling model): the model has nothing new to compute, and its
  incremental SQL can select no row at all instead of planning its joins over the existing
  tables. One query when the model runs; false at parse time, so the full SQL is what dbt and
  the linter see.

      {%- set watermark = grouplake.incremental_watermark('last_batch_id') %}
      {% if grouplake.no_rows_after(ref('int_group_trait_writes'), 'batch_id', watermark) %}
      select * from {{ this }} where 1 = 0
      {% else %} ...
#}
{% macro no_rows_after(relation, column, watermark) -%}
    {%- if not execute -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set result = run_query(
        'select count(*) from (select 1 from ' ~ relation ~ ' where ' ~ column ~ ' > ' ~ watermark ~ ' limit 1) as newer') -%}
    {{- return(result.columns[0].values()[0] == 0) -}}
{%- endmacro %}
