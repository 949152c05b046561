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

  Incremental (delete+insert on group_type, group_id, strategy delete_insert_by_keys): a run
  recomputes every group id that got a call in a new batch, and every group id where an
  anonymous id appears whose stitching a new batch may have changed (macro
  groups_touched_by_new_calls_ctes), so the result equals a full refresh.
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

with calls as (

    select
        message_id, event_kind, group_type, group_id, user_id, anonymous_id, relationship_attributes,
        event_at, received_at, batch_id, source_line
    from {{ ref('stg_grouplake__group_events') }}

),

{% if is_incremental() %}
{{ grouplake.groups_touched_by_new_calls_ctes('calls', 'scope') }},
{% endif %}

scoped as (

    select * from calls
    {% if is_incremental() %}where group_id in (select group_id from scope){% endif %}

),

member_calls as (

    {{ grouplake.calls_with_members('scoped', ref('int_anonymous_user_map')) }}

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
