{#
  ---- scalar JSON value -> text -----------------------------------------------------------
  strings unquoted, numbers and booleans as written, JSON null -> SQL NULL,
  arrays and objects -> their JSON text.
#}
{% macro json_scalar_text(expr) %}{{ return(adapter.dispatch('json_scalar_text', 'grouplake')(expr)) }}{% endmacro %}
{% macro default__json_scalar_text(expr) -%}
    case
        when {{ expr }} = 'null' then null
        when substr({{ expr }}, 1, 1) = '"' then get_json_object({{ expr }}, '$')
        else {{ expr }}
    end
{%- endmacro %}
{% macro duckdb__json_scalar_text(expr) -%}
    json_extract_string({{ expr }}, '$')
{%- endmacro %}
{% macro spark__json_scalar_text(expr) %}{{ grouplake.default__json_scalar_text(expr) }}{% endmacro %}
{% macro trino__json_scalar_text(expr) -%}
    coalesce(json_extract_scalar(json_parse({{ expr }}), '$'),
             case when {{ expr }} <> 'null' then {{ expr }} end)
{%- endmacro %}
