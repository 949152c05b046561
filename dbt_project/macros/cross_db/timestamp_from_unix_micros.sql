{# ---- microseconds since 1970-01-01 UTC (bigint) -> timestamp ------------------------------ #}
{% macro timestamp_from_unix_micros(expr) %}{{ return(adapter.dispatch('timestamp_from_unix_micros', 'grouplake')(expr)) }}{% endmacro %}
{% macro default__timestamp_from_unix_micros(expr) -%}
    {{ dbt.dateadd('microsecond', expr, "cast('1970-01-01 00:00:00' as " ~ dbt.type_timestamp() ~ ")") }}
{%- endmacro %}
{% macro duckdb__timestamp_from_unix_micros(expr) %}timezone('UTC', make_timestamp({{ expr }})){% endmacro %}
{% macro spark__timestamp_from_unix_micros(expr) %}timestamp_micros({{ expr }}){% endmacro %}
{% macro trino__timestamp_from_unix_micros(expr) %}from_unixtime_nanos({{ expr }} * 1000){% endmacro %}
