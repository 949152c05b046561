{#
  Custom schemas are used as they are (`staging`, `intermediate`), not prefixed with the
  target schema; models without one (the marts) land in the target schema (`main` on DuckDB),
  so analysts query plain `groups`, `group_traits_latest`, ...
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
