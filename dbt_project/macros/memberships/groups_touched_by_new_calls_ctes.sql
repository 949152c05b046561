{#
  The incremental scope of user_group_memberships and groups: the groups whose memberships (and
  so member_count) a batch newer than the model's watermark (max(last_batch_id) of its table)
  may change. They are the groups with a call in a new batch, and the groups holding a call of
  an anonymous id that a new call linked to a user (that call may stitch it to a user, or to an
  earlier user). `calls` must hold every call with an anonymous id (stg_grouplake__group_events
  or a filter of it; pass the relation itself rather than a CTE over it, so that the engine
  reads only the new batches for the first step, and the two id columns for the second).
  `watermark`: the model's incremental_watermark('last_batch_id') when it has read it already.
  Renders CTEs (no leading comma) ending with one named `result_cte`: one row per group_id.
  Only call it inside `{% if is_incremental() %}`.
#}
{% macro groups_touched_by_new_calls_ctes(calls, result_cte, watermark=none) -%}
{{ result_cte }}__new_calls as (

    select group_id, anonymous_id, user_id
    from {{ calls }}
    where batch_id > {{ grouplake.incremental_watermark('last_batch_id') if watermark is none else watermark }}

),

{{ result_cte }} as (

    select distinct group_id
    from (
        select group_id from {{ result_cte }}__new_calls

        union all

        select e.group_id
        from {{ calls }} as e
        inner join {{ result_cte }}__new_calls as n
            on e.anonymous_id = n.anonymous_id
        where n.user_id is not null
    ) as touched

)
{%- endmacro %}
