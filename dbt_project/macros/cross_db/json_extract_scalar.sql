{# ---- member of a JSON object as text (json_extract_scalar(json, '$.key')) -------------- #}
{% macro json_extract_scalar(json_expr, key) %}{{ return(adapter.dispatch('json_extract_scalar', 'grouplake')(json_expr, key)) }}{% endmacro %}
{% macro default__json_extract_scalar(json_expr, key) %}get_json_object({{ json_expr }}, '$.{{ key }}'){% endmacro %}
{% macro duckdb__json_extract_scalar(json_expr, key) %}json_extract_string({{ json_expr }}, '$.{{ key }}'){% endmacro %}
{% macro spark__json_extract_scalar(json_expr, key) %}get_json_object({{ json_expr }}, '$.{{ key }}'){% endmacro %}
{% macro trino__json_extract_scalar(json_expr, key) %}json_extract_scalar(json_parse({{ json_expr }}), '$.{{ key }}'){% endmacro %}
