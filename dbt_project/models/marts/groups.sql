{#
  One row per (group_type, group_id): typed columns for the reserved Segment group traits
  (SPEC §4), all current non-null traits as one JSON object, activity counts, and whether the
  group is deleted (its latest lifecycle call is an `Object Deleted`: macro
  group_deletions_ctes; a later Group call revives it, its traits and history stay).

  Typed columns take the trait's current value when it fits the type and are null otherwise
  (the value stays in `traits`): macros group_trait_columns_ctes, reserved_group_traits.

  Incremental (delete+insert on group_type, group_id, strategy delete_insert_by_keys): a run
  rebuilds the group ids with a call in a batch newer than the newest one it holds
  (last_batch_id) - only they can have new traits or be deleted - and those whose memberships
  such a call may have changed (macro groups_touched_by_new_calls_ctes), in all their types, so the
  result equals a full refresh. Their activity is the table's plus the new calls' (calls are
  only appended); deletions are derived again from the calls of the groups that have one.
#}
{{
    config(
        materialized=grouplake.keyed_incremental_materialization(),
        incremental_strategy='delete_insert_by_keys',
        unique_key=['group_type', 'group_id'],
        on_schema_change='fail',
    )
}}

{{ grouplake.require_warehouse_columns(['group_type', 'is_deleted', 'last_batch_id']) }}

{%- set calls = ref('stg_grouplake__group_events') %}
{%- set anonymous_user_map = ref('int_anonymous_user_map') %}
{%- set watermark = grouplake.incremental_watermark('last_batch_id') if is_incremental() else none %}
{% if is_incremental() and grouplake.no_rows_after(calls, 'batch_id', watermark) %}
-- no call newer than this table: nothing to rebuild
select * from {{ this }} where 1 = 0
{% else %}
with

run_activity as (

    -- per group, the activity of the calls this run reads: the new ones on an incremental run,
    -- all of them on a full refresh
    select
        group_type,
        group_id,
        min(event_at) as first_seen_at,
        max(event_at) as last_seen_at,
        count(*) as event_count,
        max(batch_id) as last_batch_id
    from {{ calls }}
    {% if is_incremental() -%}
    where batch_id > {{ watermark }}
    {% endif -%}
    group by group_type, group_id

),

{% if is_incremental() %}
{{ grouplake.groups_touched_by_new_calls_ctes(calls, anonymous_user_map, 'scope', watermark) }},

events as (

    -- the activity of the groups in scope: what the table holds plus the new calls (calls are
    -- only ever appended: the counts add up, first and last seen are the min and the max)
    select
        group_type,
        group_id,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        cast(sum(event_count) as {{ dbt.type_bigint() }}) as event_count,
        max(last_batch_id) as last_batch_id
    from (
        select group_type, group_id, first_seen_at, last_seen_at, event_count, last_batch_id
        from {{ this }}
        where group_id in (select group_id from scope)

        union all

        select group_type, group_id, first_seen_at, last_seen_at, event_count, last_batch_id
        from run_activity
    ) as activity
    group by group_type, group_id

),

{% else %}
events as (

    select * from run_activity

),
{% endif %}

deletion_calls as (

    -- the calls deletions are derived from: those of the groups with an Object Deleted (a later
    -- Group call revives a group); most groups have none
    select event_kind, group_type, group_id, event_at, received_at, batch_id, source_line
    from {{ calls }}
    where group_id in (select group_id from {{ calls }} where event_kind = 'object_deleted')
    {% if is_incremental() %}and group_id in (select group_id from scope){% endif %}

),

{{ grouplake.group_deletions_ctes('deletion_calls', 'deletions') }},

latest as (

    select * from {{ ref('group_traits_latest') }}
    {% if is_incremental() %}where group_id in (select group_id from scope){% endif %}

),

{{ grouplake.group_trait_columns_ctes('latest', 'trait_columns') }},

members as (

    select
        group_type,
        group_id,
        count(*) as member_count,
        cast(sum(case when is_active then 1 else 0 end) as {{ dbt.type_bigint() }}) as active_member_count
    from {{ ref('user_group_memberships') }}
    {% if is_incremental() %}where group_id in (select group_id from scope){% endif %}
    group by group_type, group_id

)

select
    e.group_type,
    e.group_id,
    {%- for column, trait_key, type in grouplake.reserved_group_traits() %}
    t.{{ column }},
    {%- endfor %}
    coalesce(t.traits, {{ grouplake.json_empty_object() }}) as traits,
    coalesce(t.trait_count, 0) as trait_count,
    e.first_seen_at,
    e.last_seen_at,
    e.event_count,
    coalesce(m.member_count, 0) as member_count,
    coalesce(m.active_member_count, 0) as active_member_count,
    coalesce(d.is_deleted, false) as is_deleted,
    d.deleted_at,
    e.last_batch_id
from events as e
{% for alias, relation in [('t', 'trait_columns'), ('m', 'members'), ('d', 'deletions')] %}
left join {{ relation }} as {{ alias }}
    on {{ grouplake.columns_equal('e', alias, ['group_id', 'group_type']) }}
{% endfor %}
{% endif %}
