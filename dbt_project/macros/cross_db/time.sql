{# ---- type of the timestamp columns (UTC instants) -------------------------------------- #}
{% macro timestamp_tz_type() %}{{ return(adapter.dispatch('timestamp_tz_type', 'grouplake')()) }}{% endmacro %}
{% macro default__timestamp_tz_type() %}{{ return(dbt.type_timestamp()) }}{% endmacro %}
{% macro duckdb__timestamp_tz_type() %}{{ return('timestamptz') }}{% endmacro %}


{# ---- ISO-8601 text -> timestamp, NULL when it does not parse ----------------------------- #}
{% macro parse_iso_timestamp(expr) %}{{ return(adapter.dispatch('parse_iso_timestamp', 'grouplake')(expr)) }}{% endmacro %}
{% macro default__parse_iso_timestamp(expr) %}{{ grouplake.try_cast(expr, grouplake.timestamp_tz_type()) }}{% endmacro %}
{% macro spark__parse_iso_timestamp(expr) %}to_timestamp({{ expr }}){% endmacro %}
{% macro trino__parse_iso_timestamp(expr) %}try(from_iso8601_timestamp({{ expr }})){% endmacro %}


{# ---- unix seconds (double) -> timestamp, NULL when out of range -------------------------- #}
{% macro timestamp_from_unix_seconds(expr) %}{{ return(adapter.dispatch('timestamp_from_unix_seconds', 'grouplake')(expr)) }}{% endmacro %}
{% macro default__timestamp_from_unix_seconds(expr) -%}
    {{ dbt.dateadd('second', 'cast(' ~ expr ~ ' as bigint)', "cast('1970-01-01 00:00:00' as " ~ dbt.type_timestamp() ~ ")") }}
{%- endmacro %}
{% macro duckdb__timestamp_from_unix_seconds(expr) %}try(to_timestamp({{ expr }})){% endmacro %}
{% macro spark__timestamp_from_unix_seconds(expr) %}timestamp_micros(cast({{ expr }} * 1000000 as bigint)){% endmacro %}
{% macro trino__timestamp_from_unix_seconds(expr) %}try(from_unixtime({{ expr }})){% endmacro %}


{#
  ---- a trait value -> timestamp (reserved trait `created_at`) ------------------------------
  Parsed as a double (DuckDB, Spark and Trino all have it; a 32-bit float would shift unix
  milliseconds by minutes). Same rules as the loader's event timestamps: an ISO-8601 string, or unix seconds, or unix
  milliseconds when the magnitude says so (>= 1e11 would be after year 5138 in seconds),
  as a JSON number or a numeric string. Anything else -> NULL.
#}
{% macro trait_to_timestamp(value_text, value_type) -%}
    {%- set num = grouplake.try_cast('trim(' ~ value_text ~ ')', 'double') -%}
    case
        when {{ value_type }} = 'number'
             or ({{ value_type }} = 'string'
                 and {{ grouplake.regexp_full_match('trim(' ~ value_text ~ ')', '[+-]?[0-9]+(\\.[0-9]+)?') }})
        then case
                when abs({{ num }}) >= 1e14 then null
                when abs({{ num }}) >= 1e11 then {{ grouplake.timestamp_from_unix_seconds(num ~ ' / 1000.0') }}
                else {{ grouplake.timestamp_from_unix_seconds(num) }}
             end
        when {{ value_type }} = 'string' then {{ grouplake.parse_iso_timestamp(value_text) }}
    end
{%- endmacro %}


{#
  ---- a trait value -> integer (reserved trait `employees`) --------------------------------
  An integral JSON number (100, 100.0) or a string holding an integer (" 250 ", "+3");
  anything else ("50-100", "1,000", 12.5, true) -> NULL.
#}
{% macro trait_to_integer(value_text, value_type) -%}
    {%- set num = grouplake.try_cast(value_text, 'double') -%}
    case
        when {{ value_type }} = 'number' and {{ num }} = floor({{ num }}) and abs({{ num }}) < 9e18
            then cast({{ num }} as {{ dbt.type_bigint() }})
        when {{ value_type }} = 'string'
             and {{ grouplake.regexp_full_match('trim(' ~ value_text ~ ')', '[+-]?[0-9]{1,18}') }}
            then {{ grouplake.try_cast('trim(' ~ value_text ~ ')', dbt.type_bigint()) }}
    end
{%- endmacro %}
