{# ---- type of the timestamp columns (UTC instants) -------------------------------------- #}
{% macro timestamp_tz_type() %}{{ return(adapter.dispatch('timestamp_tz_type', 'grouplake')()) }}{% endmacro %}
{% macro default__timestamp_tz_type() %}{{ return(dbt.type_timestamp()) }}{% endmacro %}
{% macro duckdb__timestamp_tz_type() %}{{ return('timestamptz') }}{% endmacro %}
{% macro spark__timestamp_tz_type() %}{{ return('timestamp') }}{% endmacro %}  {#- Spark's timestamp is an instant (UTC here) -#}
