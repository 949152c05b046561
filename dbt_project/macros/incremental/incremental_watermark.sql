{#
  The watermark of an incremental model, as a literal: max(column) of the model's existing
  table ({{ this }}), or -1 when the table is empty.

      where batch_id > {{ grouplake.incremental_watermark('last_batch_id') }}

  It is read with one query when the model runs, before its SQL is built, so the filter is a
  constant: the engine can skip storage blocks of older batches and plans the joins that
  follow for the few new rows (with a `(select max(...) from this)` subquery DuckDB assumes
  a fifth of the table passes, and may build its hash tables on the whole table instead).
  Only call it inside `{% if is_incremental() %}`. At parse time it renders -1.
#}
{% macro incremental_watermark(column) -%}
    {%- if execute -%}
        {%- set result = run_query('select coalesce(max(' ~ column ~ '), -1) as watermark from ' ~ this) -%}
        {{- result.columns[0].values()[0] | int -}}
    {%- else -%}
        -1
    {%- endif -%}
{%- endmacro %}
