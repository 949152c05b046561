{#
  Who belongs to which group: one row per (group_type, group_id, member), with the
  relationship attributes and whether the member is still in the group.

  The member is the userId when known. A call with only an anonymousId belongs to the user
  that anonymous id was stitched to (int_anonymous_user_map); an anonymous id never seen with
  a userId gives an anonymous member (member_type = 'anonymous', user_id null). A Group call
  with a member is a join; calls with neither id are trait-only updates and create no
  membership. Leaving (`Relationship Deleted`, or the group's `Object Deleted`) and the
  attributes: macros membership_leaves_ctes and membership_attributes_ctes.

  Incremental (delete+insert on group_type, group_id, strategy delete_insert_by_keys): a run
  recomputes every group id that got a call in a new batch, and every group id where an
  anonymous id appears whose stitching a new batch may have changed, so the result equals a
  full refresh.
#}
{{
    config(
        materialized=grouplake.keyed_incremental_materialization(),
        incremental_strategy='delete_insert_by_keys',
        unique_key=['group_type', 'group_id'],
        on_schema_change='fail',
    )
}}
{{ grouplake.require_warehouse_columns(['group_type', 'attributes', 'is_active', 'left_at', 'last_batch_id']) }}

with calls as (

    select
        message_id, event_kind, group_type, group_id, user_id, anonymous_id, relationship_attributes,
        event_at, received_at, batch_id, source_line
    from {{ ref('stg_grouplake__group_events') }}

),

{% if is_incremental() %}
new_calls as (

    select *
    from calls
    where batch_id > {{ grouplake.incremental_watermark('last_batch_id') }}

),

scoped as (

    select *
    from calls
    where group_id in (
        select group_id from ({{ grouplake.groups_touched_by_new_calls('calls', 'new_calls') }}) as touched
    )

),
{% else %}
scoped as (

    select * from calls

),
{% endif %}

member_calls as (

    -- Group calls (joins) and Relationship Deleted calls with their member
    select
        s.*,
        case when coalesce(s.user_id, m.user_id) is not null then 'user' else 'anonymous' end as member_type,
        coalesce(s.user_id, m.user_id, s.anonymous_id) as member_id,
        coalesce(s.user_id, m.user_id) as member_user_id
    from scoped as s
    left join {{ ref('int_anonymous_user_map') }} as m
        on s.user_id is null
        and s.anonymous_id = m.anonymous_id
    where s.event_kind in ('group', 'relationship_deleted')
      and (s.user_id is not null or s.anonymous_id is not null)

),

joins as (

    select * from member_calls where event_kind = 'group'

),

member_leaves as (

    select * from member_calls where event_kind = 'relationship_deleted'

),

{{ grouplake.membership_leaves_ctes('joins', 'member_leaves', 'scoped', 'leaves') }},

{{ grouplake.membership_attributes_ctes('joins', 'attributes') }},

first_anonymous as (

    -- the first anonymous id the member used in this group
    select group_type, group_id, member_type, member_id, anonymous_id
    from (
        select
            group_type, group_id, member_type, member_id, anonymous_id,
            row_number() over (
                partition by group_type, group_id, member_type, member_id
                order by {{ grouplake.lww_order_by() }}
            ) as anonymous_rank
        from joins
        where anonymous_id is not null
    ) as ranked
    where anonymous_rank = 1

),

aggregated as (

    select
        group_type,
        group_id,
        member_type,
        member_id,
        max(member_user_id) as user_id,
        min(event_at) as first_seen_at,
        max(event_at) as last_seen_at,
        count(*) as event_count,
        count(distinct anonymous_id) as anonymous_id_count,
        max(batch_id) as last_batch_id
    from joins
    group by group_type, group_id, member_type, member_id

)

{%- set key = ['group_type', 'group_id', 'member_type', 'member_id'] %}

select
    a.group_type,
    a.group_id,
    a.member_type,
    a.member_id,
    a.user_id,
    f.anonymous_id,
    a.anonymous_id_count,
    a.first_seen_at,
    a.last_seen_at,
    a.event_count,
    coalesce(t.attributes, {{ grouplake.json_empty_object() }}) as attributes,
    coalesce(l.has_open_leave, 0) = 0 as is_active,
    l.left_at,
    case when l.leave_batch_id > a.last_batch_id then l.leave_batch_id else a.last_batch_id end as last_batch_id
from aggregated as a
{% for alias, relation in [('f', 'first_anonymous'), ('t', 'attributes'), ('l', 'leaves')] %}
left join {{ relation }} as {{ alias }}
    on {% for c in key %}a.{{ c }} = {{ alias }}.{{ c }}{% if not loop.last %} and {% endif %}{% endfor %}
{% endfor %}
