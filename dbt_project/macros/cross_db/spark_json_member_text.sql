{#
  Spark only: the JSON text of one object member, from its map<string,string> text `text`
  and its variant `variant`: JSON null -> null; strings -> the variant's JSON (quoted and
  escaped as DuckDB does); numbers -> spark_json_number_text(); true/false, objects and arrays
  -> the text (numbers inside objects and arrays stay as Java prints them).
#}
{% macro spark_member_json(text, variant) -%}
    case
        when {{ text }} is null then 'null'
        when schema_of_variant({{ variant }}) = 'STRING' then to_json({{ variant }})
        when {{ text }} rlike '^-?[0-9]' then {{ grouplake.spark_json_number_text(text) }}
        else {{ text }}
    end
{%- endmacro %}

{#
  Spark only: a number as Spark's JSON reader gives it back (integers as sent; other numbers
  as Java's Double.toString: plain from 1e-3 to 1e7, else `1.2345E7`) -> the text DuckDB
  writes: integers as sent; plain decimals from 1e-6 up to 1e21 (a `.0` when integral);
  outside that range `<digits>e<exponent>` (`1e21`, `1.5e-7`).
#}
{% macro spark_json_number_text(text) -%}
    {%- set sci = "'^(-?)([0-9])[.]([0-9]*)E(-?[0-9]+)$'" -%}
    {%- set sign = 'regexp_extract(' ~ text ~ ', ' ~ sci ~ ', 1)' -%}
    {%- set lead = 'regexp_extract(' ~ text ~ ', ' ~ sci ~ ', 2)' -%}
    {%- set frac = "regexp_replace(regexp_extract(" ~ text ~ ", " ~ sci ~ ", 3), '0+$', '')" -%}
    {%- set exp = 'cast(regexp_extract(' ~ text ~ ', ' ~ sci ~ ', 4) as int)' -%}
    {%- set digits = 'concat(' ~ lead ~ ', ' ~ frac ~ ')' -%}
    case
        when {{ text }} not like '%E%' then {{ text }}
        when {{ exp }} >= 21 or {{ exp }} < -6
            then concat({{ sign }}, {{ lead }}, case when {{ frac }} = '' then '' else concat('.', {{ frac }}) end,
                        'e', cast({{ exp }} as string))
        when {{ exp }} < 0
            then concat({{ sign }}, '0.', repeat('0', -{{ exp }} - 1), {{ digits }})
        when length({{ digits }}) <= {{ exp }} + 1
            then concat({{ sign }}, {{ digits }}, repeat('0', {{ exp }} + 1 - length({{ digits }})), '.0')
        else concat({{ sign }}, substr({{ digits }}, 1, {{ exp }} + 1), '.', substr({{ digits }}, {{ exp }} + 2))
    end
{%- endmacro %}
