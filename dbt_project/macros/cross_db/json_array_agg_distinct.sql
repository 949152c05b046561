{#
  ---- aggregate text values into a JSON array of the distinct values, sorted ---------------
  Used as an aggregate function, like json_object_agg.
#}
{% macro json_array_agg_distinct(expr) %}{{ return(adapter.dispatch('json_array_agg_distinct', 'grouplake')(expr)) }}{% endmacro %}
{% macro default__json_array_agg_distinct(expr) -%}
    json_arrayagg(distinct {{ expr }} order by {{ expr }})
{%- endmacro %}
{% macro duckdb__json_array_agg_distinct(expr) -%}
    to_json(list(distinct {{ expr }} order by {{ expr }}))
{%- endmacro %}
{% macro spark__json_array_agg_distinct(expr) -%}
    to_json(array_sort(collect_set({{ expr }})))
{%- endmacro %}
