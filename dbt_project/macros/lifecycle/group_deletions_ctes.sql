{#
  Deleting a group (Customer.io's `Object Deleted` track event): CTE definitions shared by the
  full and the incremental builds of groups. Like every `*_ctes` macro it renders CTEs (no
  leading comma) ending with one named `result_cte`, over the caller's CTEs, so an incremental
  run applies it to the groups it rebuilds only. Positions are last-write-wins positions
  (lww_precedes).
#}

{#
  Per (group_type, group_id): its latest Object Deleted and whether a Group call comes after
  it (the call revives the group). `calls`: every call of the groups (columns of the staging
  model). Result columns: group_type, group_id, deleted_at, deleted_batch_id, is_deleted.
#}
{% macro group_deletions_ctes(calls, result_cte) -%}
{{ result_cte }}__last_deletions as (

    select group_type, group_id, event_at, received_at, batch_id, source_line
    from (
        select
            *,
            row_number() over (
                partition by group_type, group_id
                order by {{ grouplake.lww_order_by(descending=true) }}
            ) as deletion_rank
        from {{ calls }}
        where event_kind = 'object_deleted'
    ) as ranked_deletions
    where deletion_rank = 1

),

{{ result_cte }}__revived as (

    -- a Group call after the latest deletion revives the group
    select distinct d.group_type, d.group_id
    from {{ result_cte }}__last_deletions as d
    inner join {{ calls }} as c
        on c.group_id = d.group_id
        and c.group_type = d.group_type
    where c.event_kind = 'group'
      and {{ grouplake.lww_precedes('d', 'c') }}

),

{{ result_cte }} as (

    select
        d.group_type,
        d.group_id,
        d.event_at as deleted_at,
        d.batch_id as deleted_batch_id,
        r.group_id is null as is_deleted
    from {{ result_cte }}__last_deletions as d
    left join {{ result_cte }}__revived as r
        on d.group_id = r.group_id
        and d.group_type = r.group_type

)
{%- endmacro %}

