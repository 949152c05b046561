{#
  Leaving a group and deleting one (Customer.io's `Relationship Deleted` / `Object Deleted`
  track events), and the relationship attributes of a membership: CTE definitions shared by
  the full and the incremental builds of user_group_memberships and groups. Like
  trait_changes_ctes they render CTEs (no leading comma) ending with one named `result_cte`,
  over the caller's CTEs, so an incremental run applies them to the groups it rebuilds only.
  Every position below is a position in last-write-wins order (lww_precedes).
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


{#
  Per membership (group_type, group_id, member_type, member_id): when it was left and whether
  it still is. A *leave* of a member is a `Relationship Deleted` of that member for the group,
  or an `Object Deleted` of the group (it ends every membership), that comes after a join (a
  Group call) of the member; leaves before the member's first join end nothing. The member is
  inactive when a leave comes after its latest join (a later Group call makes it active again).
    - joins:  the members' Group calls (group_type, group_id, member_type, member_id, position)
    - member_leaves: the members' Relationship Deleted calls (same columns)
    - calls:  every call of the groups (for their Object Deleted calls)
  Result columns: the membership key, left_at (the latest leave), has_open_leave (1 when a
  leave follows the latest join), leave_batch_id (the newest batch among the leave calls).
#}
{% macro membership_leaves_ctes(joins, member_leaves, calls, result_cte) -%}
{%- set key = ['group_type', 'group_id', 'member_type', 'member_id'] -%}
{%- set position = ['event_at', 'received_at', 'batch_id', 'source_line'] -%}
{{ result_cte }}__leave_calls as (

    select {{ (key + position) | join(', ') }}
    from {{ member_leaves }}

    union all

    -- a deleted group ends every membership in it
    select
        m.group_type, m.group_id, m.member_type, m.member_id,
        d.event_at, d.received_at, d.batch_id, d.source_line
    from {{ calls }} as d
    inner join (select distinct {{ key | join(', ') }} from {{ joins }}) as m
        on d.group_id = m.group_id
        and d.group_type = m.group_type
    where d.event_kind = 'object_deleted'

),

{{ result_cte }}__leave_positions as (

    -- per leave: does a join of the member come before it (so it is a leave), after it (rejoined)?
    select
        {% for c in key + position %}l.{{ c }}, {% endfor %}
        max(case when {{ grouplake.lww_precedes('j', 'l') }} then 1 else 0 end) as follows_a_join,
        max(case when {{ grouplake.lww_precedes('l', 'j') }} then 1 else 0 end) as is_rejoined
    from {{ result_cte }}__leave_calls as l
    inner join {{ joins }} as j
        on {% for c in key %}j.{{ c }} = l.{{ c }}{% if not loop.last %} and {% endif %}{% endfor %}
    group by {% for c in key + position %}l.{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}

),

{{ result_cte }} as (

    select
        {{ key | join(', ') }},
        max(event_at) as left_at,
        max(1 - is_rejoined) as has_open_leave,
        max(batch_id) as leave_batch_id
    from {{ result_cte }}__leave_positions
    where follows_a_join = 1
    group by {{ key | join(', ') }}

)
{%- endmacro %}


{#
  Per membership: its relationship attributes (`traits.relationshipAttributes` of the
  member's Group calls, e.g. {"role": "admin"}) as one JSON object, merged key by key with the
  trait rules: canonical keys, the latest call that contains a key sets it (last-write-wins
  order), an explicit null clears it (the key is left out), an absent key keeps its value; two
  spellings in one call: the greatest original key wins. Values are replaced whole (nested
  objects are not split). `joins`: the members' Group calls with a relationship_attributes
  column. Result columns: the membership key, attributes.
#}
{% macro membership_attributes_ctes(joins, result_cte) -%}
{{ result_cte }}__writes as (

    select
        j.group_type, j.group_id, j.member_type, j.member_id,
        {{ grouplake.canonical_trait_key('a.key') }} as attribute_key,
        a.key as original_key,
        a.value as value,
        {{ grouplake.json_value_type('a.value') }} as value_type,
        {{ grouplake.json_each_ordinal('a') }} as member_ordinal,
        j.event_at, j.received_at, j.batch_id, j.source_line
    from (select * from {{ joins }} where relationship_attributes is not null) as j
    {{ grouplake.json_each_join('j.relationship_attributes', 'a') }}

),

{{ result_cte }}__latest as (

    select
        *,
        row_number() over (
            partition by group_type, group_id, member_type, member_id, attribute_key
            order by {{ grouplake.lww_order_by(descending=true) }}, original_key desc, member_ordinal desc
        ) as attribute_rank
    from {{ result_cte }}__writes

),

{{ result_cte }} as (

    select
        group_type, group_id, member_type, member_id,
        {{ grouplake.json_object_agg('attribute_key', 'value') }} as attributes
    from {{ result_cte }}__latest
    where attribute_rank = 1
      and value_type <> 'null'
    group by group_type, group_id, member_type, member_id

)
{%- endmacro %}
