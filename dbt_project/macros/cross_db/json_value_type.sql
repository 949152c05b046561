{# ---- the JSON type of a JSON value: object|array|string|number|boolean|null ------------ #}
{% macro json_value_type(expr) %}{{ return(adapter.dispatch('json_value_type', 'grouplake')(expr)) }}{% endmacro %}
{% macro default__json_value_type(expr) -%}
    {#- from the first character of the compact JSON text -#}
    case
        when {{ expr }} is null or {{ expr }} = 'null' then 'null'
        when {{ expr }} in ('true', 'false') then 'boolean'
        when substr({{ expr }}, 1, 1) = '{' then 'object'
        when substr({{ expr }}, 1, 1) = '[' then 'array'
        when substr({{ expr }}, 1, 1) = '"' then 'string'
        else 'number'
    end
{%- endmacro %}
{% macro duckdb__json_value_type(expr) -%}
    case json_type({{ expr }})
        when 'OBJECT' then 'object'
        when 'ARRAY' then 'array'
        when 'VARCHAR' then 'string'
        when 'BOOLEAN' then 'boolean'
        when 'NULL' then 'null'
        when 'BIGINT' then 'number'
        when 'UBIGINT' then 'number'
        when 'HUGEINT' then 'number'
        when 'DOUBLE' then 'number'
    end
{%- endmacro %}
{% macro spark__json_value_type(expr) %}{{ grouplake.default__json_value_type(expr) }}{% endmacro %}
