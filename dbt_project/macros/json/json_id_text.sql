{#
  ---- a JSON value used as an id -> text ---------------------------------------------------
  A string as sent (null when blank), a number as its decimal string (an integral number
  without a fraction: 1 and 1.0 both give '1'); null for anything else. (round, not floor:
  Spark's floor returns a bigint and fails on 1e20 in ANSI mode.)
#}
{% macro json_id_text(value) -%}
    {%- set text = grouplake.json_scalar_text(value) -%}
    {%- set num = grouplake.try_cast(text, 'double') -%}
    case {{ grouplake.json_value_type(value) }}
        when 'string' then case when trim({{ text }}) <> '' then {{ text }} end
        when 'number' then
            case
                when abs({{ num }}) < 1e18 and {{ num }} = round({{ num }})
                    then cast(cast({{ num }} as {{ dbt.type_bigint() }}) as {{ dbt.type_string() }})
                else {{ text }}
            end
    end
{%- endmacro %}
