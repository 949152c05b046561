{#
  The incremental scope of user_group_memberships: which memberships a batch newer than the
  model's watermark (max(last_batch_id) of its table) may change, and the calls to recompute
  them from. Renders CTEs (no leading comma) ending with one named `result_cte`: the calls of
  `calls` to recompute from, with a column in_scope_group_id_whole (true: every membership of
  the call's group id is recomputed). Its helper CTE `<result_cte>__memberships` holds the
  memberships recomputed one by one (group_type, group_id, member_type, member_id).

  - Whole group ids (every membership recomputed, in all their types): a group id with a new
    `Object Deleted` (it ends every membership), and a group id holding a call without a user
    id of an anonymous id whose first link to a user is a new call (its stitching may have
    changed: memberships may appear or vanish; the rule of groups_touched_by_new_calls_ctes).
  - One by one, in the other group ids: the member of every new Group or Relationship Deleted
    call (macro calls_with_members, through the current anonymous_user_map). Its membership is
    recomputed from its calls in the group: the calls with its user id, or with an anonymous
    id stitched to it (a user member), or the calls of the anonymous id without a user id (an
    anonymous member); the group's `Object Deleted` calls come along. The other memberships
    of those group ids did not change (no new call of theirs, no stitching change): the model
    copies them from its table.

  `calls` must hold every call (stg_grouplake__group_events: pass the relation itself).
  Only call it inside `{% if is_incremental() %}`.
#}
{% macro membership_scope_ctes(calls, anonymous_user_map, result_cte, watermark) -%}
{{ grouplake.groups_touched_by_new_calls_ctes(calls, anonymous_user_map, result_cte ~ '__touched', watermark) }},

{{ result_cte }}__whole_groups as (

    select group_id from {{ result_cte }}__touched__new_calls where event_kind = 'object_deleted'

    union

    select group_id from {{ result_cte }}__touched__relinked_groups

),

{{ result_cte }}__memberships as (

    select distinct group_type, group_id, member_type, member_id, member_user_id
    from ({{ grouplake.calls_with_members(result_cte ~ '__touched__new_calls', anonymous_user_map) }}) as m
    where group_id not in (select group_id from {{ result_cte }}__whole_groups)

),

{{ result_cte }} as (

    select c.*, c.group_id in (select group_id from {{ result_cte }}__whole_groups) as in_scope_group_id_whole
    from {{ calls }} as c
    where c.group_id in (select group_id from {{ result_cte }}__whole_groups)
       or (
           c.group_id in (select group_id from {{ result_cte }}__memberships)
           and (
               c.event_kind = 'object_deleted'
               or c.user_id in (select member_user_id from {{ result_cte }}__memberships)
               or (c.user_id is null and c.anonymous_id in (
                   select member_id from {{ result_cte }}__memberships where member_type = 'anonymous'
                   union all
                   select a.anonymous_id from {{ anonymous_user_map }} as a
                   where a.user_id in (select member_user_id from {{ result_cte }}__memberships)
               ))
           )
       )

)
{%- endmacro %}
