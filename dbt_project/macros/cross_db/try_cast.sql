{# ---- cast that yields NULL instead of failing ------------------------------------------ #}
{% macro try_cast(expr, type) %}{{ return(adapter.dispatch('try_cast', 'grouplake')(expr, type)) }}{% endmacro %}
{% macro default__try_cast(expr, type) %}try_cast({{ expr }} as {{ type }}){% endmacro %}
{% macro duckdb__try_cast(expr, type) %}try_cast({{ expr }} as {{ type }}){% endmacro %}
{% macro spark__try_cast(expr, type) %}try_cast({{ expr }} as {{ type }}){% endmacro %}
{% macro postgres__try_cast(expr, type) %}cast({{ expr }} as {{ type }}){% endmacro %}
