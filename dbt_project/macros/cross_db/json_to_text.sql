{# ---- JSON value -> its text ---------------------------------------------------------- #}
{% macro json_to_text(expr) %}{{ return(adapter.dispatch('json_to_text', 'grouplake')(expr)) }}{% endmacro %}
{% macro default__json_to_text(expr) %}{{ expr }}{% endmacro %}
{% macro duckdb__json_to_text(expr) %}cast({{ expr }} as varchar){% endmacro %}
{% macro spark__json_to_text(expr) %}{{ expr }}{% endmacro %}
