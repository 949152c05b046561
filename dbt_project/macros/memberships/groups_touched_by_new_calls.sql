{#
  The groups whose memberships (and so member_count) a batch newer than the watermark may
  change: the groups with a call in a new batch, and the groups holding a call of an
  anonymous id that a new call linked to a user (that call may stitch it to a user, or to an
  earlier user). Used by the incremental runs of user_group_memberships and groups.
  Renders a query returning group_id (with duplicates); `events` must hold every call with an
  anonymous id (stg_grouplake__group_events or a filter of it), `new_events` its new calls.
#}
{% macro groups_touched_by_new_calls(events, new_events) %}
    select group_id from {{ new_events }}

    union all

    select e.group_id
    from {{ events }} as e
    inner join {{ new_events }} as n
        on e.anonymous_id = n.anonymous_id
    where n.user_id is not null
{% endmacro %}
