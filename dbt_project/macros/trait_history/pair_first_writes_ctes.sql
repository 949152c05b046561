{#
  Incremental step of group_trait_history: the first write ever of every (group_type,
  group_id, trait_key) pair of the groups a new batch wrote to, the new writes included.
  A pair already in the history has its first write in its change_seq = 1 row (a first write
  is always a change), so the history's first rows and the new writes' first writes are
  enough: no older write is read again. Renders CTEs (no leading comma) ending with one named
  `result_cte`: group_type, group_id, trait_key, depth, event_at, received_at, batch_id,
  source_line; its helper `<result_cte>__history` (the same columns, the pairs already in the
  history) is read by reread_changes_ctes.
#}
{% macro pair_first_writes_ctes(history, new_writes, result_cte) -%}
{%- set columns = 'group_type, group_id, trait_key, depth, event_at, received_at, batch_id, source_line' -%}
{{ result_cte }}__new as (

    {{ grouplake.first_per_pair_in_lww_order(new_writes, columns) }}

),

{{ result_cte }}__history as (

    -- the first write of every pair already in the history (its first change), in the
    -- groups a new batch wrote to
    select
        group_type,
        group_id,
        trait_key,
        {{ dbt.length('trait_key') }} - {{ dbt.length(dbt.replace('trait_key', "'.'", "''")) }} + 1 as depth,
        valid_from as event_at,
        received_at,
        batch_id,
        source_line
    from {{ history }}
    where change_seq = 1
      and group_id in (select group_id from {{ new_writes }})

),

{{ result_cte }} as (

    {{ grouplake.first_per_pair_in_lww_order(
        '(select * from ' ~ result_cte ~ '__history union all select * from ' ~ result_cte ~ '__new) as firsts',
        columns) }}

)
{%- endmacro %}
