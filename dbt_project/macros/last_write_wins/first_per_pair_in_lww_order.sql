{#
  The first row of each (group_type, group_id, trait_key) pair of `relation` in last-write-wins
  order, with `columns` (first_in_lww_order partitioned by the pair).
#}
{% macro first_per_pair_in_lww_order(relation, columns, where=none) -%}
    {{ grouplake.first_in_lww_order(relation, 'group_type, group_id, trait_key', columns, where=where) }}
{%- endmacro %}
