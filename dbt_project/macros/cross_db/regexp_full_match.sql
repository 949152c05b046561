{# ---- whole-string regexp match ------------------------------------------------------------ #}
{% macro regexp_full_match(expr, pattern) %}{{ return(adapter.dispatch('regexp_full_match', 'grouplake')(expr, pattern)) }}{% endmacro %}
{% macro default__regexp_full_match(expr, pattern) %}regexp_like({{ expr }}, '^(?:{{ pattern }})$'){% endmacro %}
{% macro duckdb__regexp_full_match(expr, pattern) %}regexp_full_match({{ expr }}, '{{ pattern }}'){% endmacro %}
{% macro spark__regexp_full_match(expr, pattern) %}({{ expr }} rlike '^(?:{{ pattern | replace("\\", "\\\\") }})$'){% endmacro %}
