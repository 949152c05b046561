{#
  A join condition: `left.c = right.c and ...` for each column of `columns`, in that order.

      inner join cutoffs as c on {{ grouplake.columns_equal('h', 'c', ['group_id', 'trait_key']) }}
#}
{% macro columns_equal(left, right, columns) -%}
    {%- for column in columns -%}
        {{ left }}.{{ column }} = {{ right }}.{{ column }}{% if not loop.last %} and {% endif %}
    {%- endfor -%}
{%- endmacro %}
