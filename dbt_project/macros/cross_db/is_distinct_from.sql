{# ---- NULL-safe inequality ---------------------------------------------------------------- #}
{% macro is_distinct_from(a, b) %}{{ return(adapter.dispatch('is_distinct_from', 'grouplake')(a, b)) }}{% endmacro %}
{% macro default__is_distinct_from(a, b) %}({{ a }} is distinct from {{ b }}){% endmacro %}
{% macro spark__is_distinct_from(a, b) %}(not ({{ a }} <=> {{ b }})){% endmacro %}
