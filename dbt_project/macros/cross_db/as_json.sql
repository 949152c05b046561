{# ---- text -> JSON value (no validation) -------------------------------------------- #}
{% macro as_json(expr) %}{{ return(adapter.dispatch('as_json', 'grouplake')(expr)) }}{% endmacro %}
{% macro default__as_json(expr) %}{{ expr }}{% endmacro %}
{% macro duckdb__as_json(expr) %}cast({{ expr }} as json){% endmacro %}
{% macro spark__as_json(expr) %}{{ expr }}{% endmacro %}
