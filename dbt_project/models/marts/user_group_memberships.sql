{#
  Who belongs to which group: one row per (group, member). Membership is "ever associated"
  (the spec has no ungroup call).

  The member is the userId when known. A call with only an anonymousId belongs to the user
  that anonymous id was stitched to (int_anonymous_user_map); an anonymous id never seen with
  a userId gives an anonymous member (member_type = 'anonymous', user_id null). Calls with
  neither id are trait-only updates and create no membership.

  Incremental (delete+insert on group_id, strategy delete_insert_by_keys): a run recomputes
  every group that got a call in a new batch, and every group where an anonymous id appears
  whose stitching a new batch may have changed, so the result equals a full refresh.
#}
{{
    config(
        materialized=grouplake.keyed_incremental_materialization(),
        incremental_strategy='delete_insert_by_keys',
        unique_key='group_id',
        on_schema_change='fail',
    )
}}

with events as (

    select group_id, user_id, anonymous_id, event_at, received_at, batch_id, source_line
    from {{ ref('stg_grouplake__group_events') }}
    where user_id is not null or anonymous_id is not null

),

{% if is_incremental() %}
new_events as (

    select *
    from events
    where batch_id > {{ grouplake.incremental_watermark('last_batch_id') }}

),

affected_groups as (

    {{ grouplake.groups_touched_by_new_calls('events', 'new_events') }}

),

scoped as (

    select e.*
    from events as e
    inner join (select distinct group_id from affected_groups) as g
        on e.group_id = g.group_id

),
{% else %}
scoped as (

    select * from events

),
{% endif %}

resolved as (

    select
        s.*,
        coalesce(s.user_id, m.user_id) as member_user_id
    from scoped as s
    left join {{ ref('int_anonymous_user_map') }} as m
        on s.user_id is null
        and s.anonymous_id = m.anonymous_id

),

members as (

    select
        *,
        case when member_user_id is not null then 'user' else 'anonymous' end as member_type,
        coalesce(member_user_id, anonymous_id) as member_id
    from resolved

),

first_anonymous as (

    -- the first anonymous id the member used in this group
    select group_id, member_type, member_id, anonymous_id
    from (
        select
            group_id, member_type, member_id, anonymous_id,
            row_number() over (
                partition by group_id, member_type, member_id
                order by {{ grouplake.lww_order_by() }}
            ) as anonymous_rank
        from members
        where anonymous_id is not null
    ) as ranked
    where anonymous_rank = 1

),

aggregated as (

    select
        group_id,
        member_type,
        member_id,
        max(member_user_id) as user_id,
        min(event_at) as first_seen_at,
        max(event_at) as last_seen_at,
        count(*) as event_count,
        count(distinct anonymous_id) as anonymous_id_count,
        max(batch_id) as last_batch_id
    from members
    group by group_id, member_type, member_id

)

select
    a.group_id,
    a.member_type,
    a.member_id,
    a.user_id,
    f.anonymous_id,
    a.anonymous_id_count,
    a.first_seen_at,
    a.last_seen_at,
    a.event_count,
    a.last_batch_id
from aggregated as a
left join first_anonymous as f
    on a.group_id = f.group_id
    and a.member_type = f.member_type
    and a.member_id = f.member_id
