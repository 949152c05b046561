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
