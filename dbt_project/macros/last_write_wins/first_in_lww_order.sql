{#
  The first row of each `partition_by` group of `relation` (a relation, CTE name or aliased
  derived table) in last-write-wins order, with `columns`; `where` filters the rows first.

      {{ grouplake.first_in_lww_order('joins', 'group_id, member_id', 'group_id, member_id, anonymous_id',
                                      where='anonymous_id is not null') }}
#}
{% macro first_in_lww_order(relation, partition_by, columns, where=none) -%}
    select {{ columns }}
    from (
        select
            {{ columns }},
            row_number() over (
                partition by {{ partition_by }}
                order by {{ grouplake.lww_order_by() }}
            ) as lww_rank
        from {{ relation }}
        {%- if where %}
        where {{ where }}
        {%- endif %}
    ) as ranked_by_lww
    where lww_rank = 1
{%- endmacro %}
