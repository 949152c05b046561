{#
  ---- aggregate (key, JSON value) pairs into one JSON object, keys sorted ----------------
  Used as an aggregate function: select group_id, {{ json_object_agg('k', 'v') }} ... group by group_id
#}
{% macro json_object_agg(key_expr, value_expr) %}{{ return(adapter.dispatch('json_object_agg', 'grouplake')(key_expr, value_expr)) }}{% endmacro %}
{% macro default__json_object_agg(key_expr, value_expr) -%}
    json_objectagg({{ key_expr }} value {{ value_expr }} format json)
{%- endmacro %}
{% macro duckdb__json_object_agg(key_expr, value_expr) -%}
    to_json(map_from_entries(list(struct_pack(k := {{ key_expr }}, v := {{ value_expr }}) order by {{ key_expr }})))
{%- endmacro %}
{% macro spark__json_object_agg(key_expr, value_expr) -%}
    {#- the values are JSON text already: join them by hand, keys quoted and escaped by to_json -#}
    concat('{', array_join(transform(
        array_sort(collect_list(named_struct('k', {{ key_expr }}, 'v', {{ value_expr }}))),
        gl_kv -> concat(substr(to_json(array(gl_kv.k)), 2, length(to_json(array(gl_kv.k))) - 2), ':', gl_kv.v)
    ), ','), '}')
{%- endmacro %}
{% macro trino__json_object_agg(key_expr, value_expr) -%}
    json_format(cast(map_agg({{ key_expr }}, json_parse({{ value_expr }})) as json))
{%- endmacro %}
