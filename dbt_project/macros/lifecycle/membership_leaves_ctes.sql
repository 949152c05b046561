{#
  Leaving a group (Customer.io's `Relationship Deleted` track event, or the group's `Object
  Deleted`): CTE definitions shared by the full and the incremental builds of
  user_group_memberships. Like every `*_ctes` macro it renders CTEs (no leading comma) ending
  with one named `result_cte`, over the caller's CTEs. Positions are last-write-wins positions
  (lww_precedes).
#}

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

