{#- Spark's timestamp is an instant (UTC here) -#}
{# ---- the engine's cast of ISO-8601 text -> timestamp, NULL when it does not parse --------
   Only called on text matching iso_timestamp_pattern(), where DuckDB and Spark agree. #}
{% macro parse_iso_timestamp(expr) %}{{ return(adapter.dispatch('parse_iso_timestamp', 'grouplake')(expr)) }}{% endmacro %}
{% macro default__parse_iso_timestamp(expr) %}{{ grouplake.try_cast(expr, grouplake.timestamp_tz_type()) }}{% endmacro %}
{% macro spark__parse_iso_timestamp(expr) %}try_cast({{ expr }} as timestamp){% endmacro %}
{% macro trino__parse_iso_timestamp(expr) %}try(from_iso8601_timestamp({{ expr }})){% endmacro %}
