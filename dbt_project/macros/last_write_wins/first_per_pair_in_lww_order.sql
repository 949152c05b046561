{#
  The first row of each (group_type, group_id, trait_key) of `relation` in last-write-wins
  order, with `columns` (which must include the pair and the columns of lww_order_by).
#}
{% macro first_per_pair_in_lww_order(relation, columns, where=none) -%}
    select {{ columns }}
    from (
        select
            {{ columns }},
            row_number() over (
                partition by group_type, group_id, trait_key
                order by {{ grouplake.lww_order_by() }}
            ) as lww_rank
        from {{ relation }}
        {%- if where %}
        where {{ where }}
        {%- endif %}
    ) as ranked_by_lww
    where lww_rank = 1
{%- endmacro %}
