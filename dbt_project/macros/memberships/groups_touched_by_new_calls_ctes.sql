{#
  The incremental scope of groups (and the start of user_group_memberships'): the group ids
  whose memberships (and so member_count), traits or deletion a batch newer than the model's
  watermark (max(last_batch_id) of its table) may change. They are the group ids with a call in
  a new batch, and the group ids holding a call without a user id of an anonymous id whose first
  link to a user (the call that decides its user, int_anonymous_user_map.first_linked_message_id)
  is a new call: its stitching may have changed. When the first link is an old call it is the
  same call as before (the old calls did not change), so the user did not change; and a call with
  a user id belongs to that user whatever the stitching.

  `calls` must hold every call (pass the relation stg_grouplake__group_events itself rather than
  a CTE over it, so that the engine reads only the new batches for the first step).
  `watermark`: the model's incremental_watermark('last_batch_id') when it has read it already
  (a SQL expression works too: the data tests of both models narrow to the same group ids with
  the batch they last passed through, macro changed_rows_scope).
  Renders CTEs (no leading comma) ending with one named `result_cte`: one row per group_id;
  its helpers `<result_cte>__new_calls` (the new calls) and `<result_cte>__relinked_groups`
  (the group ids of the second kind) are read by membership_scope_ctes.
  Without a watermark, only call it inside `{% if is_incremental() %}`.
#}
{% macro groups_touched_by_new_calls_ctes(calls, anonymous_user_map, result_cte, watermark=none) -%}
{{ result_cte }}__new_calls as (

    select *
    from {{ calls }}
    where batch_id > {{ grouplake.incremental_watermark('last_batch_id') if watermark is none else watermark }}

),

{{ result_cte }}__relinked_groups as (

    select distinct e.group_id
    from {{ calls }} as e
    where e.user_id is null
      and e.anonymous_id in (
          select m.anonymous_id
          from {{ anonymous_user_map }} as m
          where m.first_linked_message_id in (
              select message_id from {{ result_cte }}__new_calls
              where user_id is not null and anonymous_id is not null
          )
      )

),

{{ result_cte }} as (

    select group_id from {{ result_cte }}__new_calls

    union

    select group_id from {{ result_cte }}__relinked_groups

)
{%- endmacro %}
