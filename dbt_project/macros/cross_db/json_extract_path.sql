{#
  ---- the JSON value at a path of a JSON document (objects and arrays kept as JSON) --------
  `path` is a dotted member path without `$.` (`objectTypeId`, `properties.objectTypeId`);
  null when the member is absent.
#}
{% macro json_extract_path(json_expr, path) %}{{ return(adapter.dispatch('json_extract_path', 'grouplake')(json_expr, path)) }}{% endmacro %}
{% macro default__json_extract_path(json_expr, path) %}get_json_object({{ json_expr }}, '$.{{ path }}'){% endmacro %}
{% macro duckdb__json_extract_path(json_expr, path) %}json_extract({{ json_expr }}, '$.{{ path }}'){% endmacro %}
{% macro spark__json_extract_path(json_expr, path) -%}
    {#- down the path through the members' text (map<string,string>), then the last member as
        json_each_join gives it; NULL when a member on the way is absent -#}
    {%- set parts = path.split('.') -%}
    {%- set ns = namespace(doc=json_expr) -%}
    {%- for part in parts[:-1] -%}
        {%- set ns.doc = "try_element_at(from_json(" ~ ns.doc ~ ", 'map<string,string>'), '" ~ part ~ "')" -%}
    {%- endfor -%}
    {%- set last = parts[-1] -%}
    case
        when map_contains_key(from_json({{ ns.doc }}, 'map<string,string>'), '{{ last }}')
        then {{ grouplake.spark_member_json(
            "try_element_at(from_json(" ~ ns.doc ~ ", 'map<string,string>'), '" ~ last ~ "')",
            "try_element_at(from_json(" ~ ns.doc ~ ", 'map<string,variant>'), '" ~ last ~ "')") }}
    end
{%- endmacro %}
