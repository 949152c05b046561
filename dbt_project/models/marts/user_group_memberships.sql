{#
  Who belongs to which group: one row per (group_type, group_id, member), with the
  relationship attributes and whether the member is still in the group.

  The member is the userId when known. A call with only an anonymousId belongs to the user
  that anonymous id was stitched to (int_anonymous_user_map); an anonymous id never seen with
  a userId gives an anonymous member (member_type = 'anonymous', user_id null): macro
  calls_with_members. A Group call with a member is a join; calls with neither id are
  trait-only updates and create no membership. Leaving (`Relationship Deleted`, or the
  group's `Object Deleted`), the attributes and the activity: macros membership_leaves_ctes,
  membership_attributes_ctes and membership_activity_ctes.

  Incremental (delete+insert on group_type, group_id, strategy delete_insert_by_keys; macro
  membership_scope_ctes): a run recomputes whole every group id with a new `Object Deleted`
  or holding a call of an anonymous id whose stitching a new batch may have changed; in the
  other group ids with a new call, it recomputes the memberships of the new calls' members from
  their own calls and keeps the group's other memberships as they are. So the result equals a
  full refresh, and the work follows the new calls' members, not every call of busy groups.
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

{%- set key = ['group_type', 'group_id', 'member_type', 'member_id'] %}
{%- set events = ref('stg_grouplake__group_events') %}
{%- set watermark = grouplake.incremental_watermark('last_batch_id') if is_incremental() else none %}
{% if is_incremental() and grouplake.no_rows_after(events, 'batch_id', watermark) %}
-- no call newer than this table: nothing to recompute
select * from {{ this }} where 1 = 0
{% else %}
{%- set anonymous_user_map = ref('int_anonymous_user_map') %}
with calls as (

    select
        message_id, event_kind, group_type, group_id, user_id, anonymous_id, relationship_attributes,
        event_at, received_at, batch_id, source_line
    from {{ events }}

),

{% if is_incremental() %}
{{ grouplake.membership_scope_ctes(events, anonymous_user_map, 'scope', watermark) }},
{% endif %}

scoped as (

    {% if is_incremental() %}
    select
        message_id, event_kind, group_type, group_id, user_id, anonymous_id, relationship_attributes,
        event_at, received_at, batch_id, source_line, in_scope_group_id_whole
    from scope
    {% else %}
    select * from calls
    {% endif %}

),

member_calls as (

    select *
    from ({{ grouplake.calls_with_members('scoped', anonymous_user_map) }}) as m
    {% if is_incremental() %}
    -- the calls of the memberships in scope (scoped also holds calls of other members)
    where m.in_scope_group_id_whole
       or exists (
           select 1 from scope__memberships as s
           where {{ grouplake.columns_equal('s', 'm', key) }}
       )
    {% endif %}

),

joins as (select * from member_calls where event_kind = 'group'),

member_leaves as (select * from member_calls where event_kind = 'relationship_deleted'),

{{ grouplake.membership_leaves_ctes('joins', 'member_leaves', 'scoped', 'leaves') }},

{{ grouplake.membership_attributes_ctes('joins', 'attributes') }},

{{ grouplake.membership_activity_ctes('joins', 'activity') }}

select
    {% for c in key %}a.{{ c }}, {% endfor %}
    a.user_id,
    a.anonymous_id,
    a.anonymous_id_count,
    a.first_seen_at,
    a.last_seen_at,
    a.event_count,
    coalesce(t.attributes, {{ grouplake.json_empty_object() }}) as attributes,
    coalesce(l.has_open_leave, 0) = 0 as is_active,
    l.left_at,
    case when l.leave_batch_id > a.last_batch_id then l.leave_batch_id else a.last_batch_id end as last_batch_id
from activity as a
{% for alias, relation in [('t', 'attributes'), ('l', 'leaves')] %}
left join {{ relation }} as {{ alias }}
    on {{ grouplake.columns_equal('a', alias, key) }}
{% endfor %}
{% if is_incremental() %}

union all

-- the other memberships of the group ids recomputed one by one did not change: kept as they are
select
    {% for c in key %}t.{{ c }}, {% endfor %}
    t.user_id, t.anonymous_id, t.anonymous_id_count, t.first_seen_at, t.last_seen_at, t.event_count,
    t.attributes, t.is_active, t.left_at, t.last_batch_id
from {{ this }} as t
where t.group_id in (select group_id from scope__memberships)
  and not exists (
      select 1 from scope__memberships as s
      where {{ grouplake.columns_equal('s', 't', key) }}
  )
{% endif %}
{% endif %}
