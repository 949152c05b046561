{#
  The warehouse contract of an incremental model: the columns its existing table must have for
  an incremental run to add to it. A table built by an earlier version of the models lacks
  some (`last_batch_id`, then `group_type`, `is_active`, ...); instead of a failing insert or a
  schema-change error, the run stops with one line saying what to do. A full refresh rebuilds
  the table, so it is not checked then.

      {{ grouplake.require_warehouse_columns(['group_type', 'last_batch_id']) }}
#}
{% macro require_warehouse_columns(columns) -%}
    {%- if execute and is_incremental() -%}
        {%- set existing = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
        {%- set missing = [] -%}
        {%- for column in columns if column | lower not in existing -%}
            {%- do missing.append(column) -%}
        {%- endfor -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                "grouplake: " ~ this ~ " was built by an earlier version of the models (no column "
                ~ missing | join(', ') ~ "): run `grouplake build --full-refresh` once to rebuild the warehouse's models") }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
