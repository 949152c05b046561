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
