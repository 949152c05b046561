{# ---- type of the timestamp columns (UTC instants) -------------------------------------- #}
{% macro timestamp_tz_type() %}{{ return(adapter.dispatch('timestamp_tz_type', 'grouplake')()) }}{% endmacro %}
{% macro default__timestamp_tz_type() %}{{ return(dbt.type_timestamp()) }}{% endmacro %}
{% macro duckdb__timestamp_tz_type() %}{{ return('timestamptz') }}{% endmacro %}
{% macro spark__timestamp_tz_type() %}{{ return('timestamp') }}{% endmacro %}  {#- Spark's timestamp is an instant (UTC here) -#}


{# ---- the engine's cast of ISO-8601 text -> timestamp, NULL when it does not parse --------
   Only called on text matching iso_timestamp_pattern(), where DuckDB and Spark agree. #}
{% macro parse_iso_timestamp(expr) %}{{ return(adapter.dispatch('parse_iso_timestamp', 'grouplake')(expr)) }}{% endmacro %}
{% macro default__parse_iso_timestamp(expr) %}{{ grouplake.try_cast(expr, grouplake.timestamp_tz_type()) }}{% endmacro %}
{% macro spark__parse_iso_timestamp(expr) %}try_cast({{ expr }} as timestamp){% endmacro %}
{% macro trino__parse_iso_timestamp(expr) %}try(from_iso8601_timestamp({{ expr }})){% endmacro %}

{#
  The ISO-8601 text a trait timestamp may be: a date, or a date and a time with seconds,
  optional fraction (up to 9 digits, cut to microseconds) and optional offset (Z, +hh, +hhmm,
  +hh:mm up to 18 hours); `T` or a space between date and time; no surrounding spaces. Both
  engines parse exactly these the same way (DuckDB alone would also take `epoch`,
  `infinity`, zone names and `24:00:00`; Spark alone `2020` or `2020-5-1`).
#}
{% macro iso_timestamp_pattern() -%}
    [0-9]{4}-[0-9]{2}-[0-9]{2}([T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,9})?(Z|[+-](0[0-9]|1[0-7])(:?[0-5][0-9])?|[+-]18(:?00)?)?)?
{%- endmacro %}


{# ---- microseconds since 1970-01-01 UTC (bigint) -> timestamp ------------------------------ #}
{% macro timestamp_from_unix_micros(expr) %}{{ return(adapter.dispatch('timestamp_from_unix_micros', 'grouplake')(expr)) }}{% endmacro %}
{% macro default__timestamp_from_unix_micros(expr) -%}
    {{ dbt.dateadd('microsecond', expr, "cast('1970-01-01 00:00:00' as " ~ dbt.type_timestamp() ~ ")") }}
{%- endmacro %}
{% macro duckdb__timestamp_from_unix_micros(expr) %}timezone('UTC', make_timestamp({{ expr }})){% endmacro %}
{% macro spark__timestamp_from_unix_micros(expr) %}timestamp_micros({{ expr }}){% endmacro %}
{% macro trino__timestamp_from_unix_micros(expr) %}from_unixtime_nanos({{ expr }} * 1000){% endmacro %}


{#
  ---- a trait value -> timestamp (reserved trait `created_at`) ------------------------------
  Like the loader's event timestamps: an ISO-8601 string (the shape of
  iso_timestamp_pattern()), or unix seconds, or unix milliseconds when the magnitude says so
  (>= 1e11 would be after year 5138 in seconds), as a JSON number or a numeric string,
  rounded to the microsecond. Anything else -> NULL. The number is parsed as a double
  (DuckDB, Spark and Trino all have it; a 32-bit float would shift unix milliseconds by
  minutes) and turned into whole microseconds before the engine makes a timestamp of it.
#}
{% macro trait_to_timestamp(value_text, value_type) -%}
    {%- set num = grouplake.try_cast('trim(' ~ value_text ~ ')', 'double') -%}
    case
        when {{ value_type }} = 'number'
             or ({{ value_type }} = 'string'
                 and {{ grouplake.regexp_full_match('trim(' ~ value_text ~ ')', '[+-]?[0-9]+([.][0-9]+)?') }})
        then case
                when abs({{ num }}) >= 1e14 then null
                when abs({{ num }}) >= 1e11
                    then {{ grouplake.timestamp_from_unix_micros('cast(round(' ~ num ~ ' * 1000) as ' ~ dbt.type_bigint() ~ ')') }}
                else {{ grouplake.timestamp_from_unix_micros('cast(round(' ~ num ~ ' * 1000000) as ' ~ dbt.type_bigint() ~ ')') }}
             end
        when {{ value_type }} = 'string'
             and {{ grouplake.regexp_full_match(value_text, grouplake.iso_timestamp_pattern()) }}
            then {{ grouplake.parse_iso_timestamp(value_text) }}
    end
{%- endmacro %}


{#
  ---- a trait value -> integer (reserved trait `employees`) --------------------------------
  An integral JSON number (100, 100.0) or a string holding an integer (" 250 ", "+3");
  anything else ("50-100", "1,000", 12.5, true) -> NULL. (round, not floor: Spark's floor
  returns a bigint and fails on 1e21 in ANSI mode.)
#}
{% macro trait_to_integer(value_text, value_type) -%}
    {%- set num = grouplake.try_cast(value_text, 'double') -%}
    case
        when {{ value_type }} = 'number' and abs({{ num }}) < 9e18 and {{ num }} = round({{ num }})
            then cast({{ num }} as {{ dbt.type_bigint() }})
        when {{ value_type }} = 'string'
             and {{ grouplake.regexp_full_match('trim(' ~ value_text ~ ')', '[+-]?[0-9]{1,18}') }}
            then {{ grouplake.try_cast('trim(' ~ value_text ~ ')', dbt.type_bigint()) }}
    end
{%- endmacro %}
