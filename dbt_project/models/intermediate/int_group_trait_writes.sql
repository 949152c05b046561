{#
  Trait writes: one row per (Group call, canonical trait key) for every key the call
  *contains*, explicit nulls included. The top-level control fields `objectTypeId` (the group
  type) and `relationshipAttributes` (the member's link, see user_group_memberships) are not
  traits. Nested objects are split leaf by leaf
  (`{"address": {"postalCode": "75001"}}` -> `address.postal_code`); arrays and scalars are
  leaves, replaced whole. An empty object writes nothing (there is no leaf in it). Objects
  deeper than var('grouplake_trait_max_depth') levels are kept whole as one leaf.

  Same canonical key twice in one event (`{"Plan": "a", "plan": "b"}`): the write whose
  original key path is greatest in binary string order wins (here `plan`: lower case and `_`
  sort after upper case, so the already-canonical spelling wins). This rule does not depend
  on JSON member order, so it is the same on every engine. The very same key sent twice
  (`{"plan": "a", "plan": "b"}`) keeps the last one, as JSON parsers do.

  Such collisions are rare, and ranking every leaf of every call would sort them all: each
  object (the traits, and every nested object split) is checked once for two member names with
  the same collision form (trait_key_collision_form, coarser than the canonical key), and only
  the leaves under an object where that holds (key_may_collide) are ranked; the others cannot
  share their canonical key path with another leaf of the call.

  Purely per event, so it is built incrementally: a run adds the events of new batches.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
    )
}}

{{ grouplake.require_warehouse_columns(['group_type']) }}
{%- set max_depth = var('grouplake_trait_max_depth', 4) | int %}
{#- true when two members of the object may get the same canonical key (see above) -#}
{%- set collision_form = grouplake.trait_key_collision_form('k') %}

{%- set watermark = grouplake.incremental_watermark('batch_id') if is_incremental() else none %}
{% if is_incremental() and grouplake.no_rows_after(ref('stg_grouplake__group_events'), 'batch_id', watermark) %}
-- no call newer than this table: nothing to add
select * from {{ this }} where 1 = 0
{% else %}
with
{% for depth in range(1, max_depth + 1) %}
level_{{ depth }} as (

    select
        p.message_id, p.group_type, p.group_id, p.event_at, p.received_at, p.batch_id, p.source_line,
        p.members_may_collide as key_may_collide,
        {% if depth == 1 -%}
        {{ grouplake.canonical_trait_key('j.key') }} as trait_key,
        j.key as original_key,
        {%- else -%}
        {{ dbt.concat(['p.trait_key', "'.'", grouplake.canonical_trait_key('j.key')]) }} as trait_key,
        {{ dbt.concat(['p.original_key', "'.'", 'j.key']) }} as original_key,
        {%- endif %}
        j.value,
        {{ grouplake.json_value_type('j.value') }} as value_type,
        {{ grouplake.json_each_ordinal('j') }} as member_ordinal,
        {{ depth }} as depth
    {#- depth 1 reads the Group calls as a derived table, not a CTE (DuckDB would materialise a
        copy of every call's traits) #}
    {% if depth == 1 %}
    from (
        select
            message_id, group_type, group_id, event_at, received_at, batch_id, source_line, traits,
            {{ grouplake.json_keys_collide('traits', 'k', collision_form) }} as members_may_collide
        from {{ ref('stg_grouplake__group_events') }}
        where event_kind = 'group'
        {% if is_incremental() %}
          and batch_id > {{ watermark }}
        {% endif %}
    ) as p
    {% else %}
    from objects_{{ depth - 1 }} as p
    {% endif %}
    {{ grouplake.json_each_join('p.traits' if depth == 1 else 'p.value', 'j') }}
    {% if depth == 1 -%}
    where j.key not in ('objectTypeId', 'relationshipAttributes')
    {%- endif %}

),

{% if depth < max_depth %}
objects_{{ depth }} as (
    -- its members may collide when its own key may, or when two of its member names may
    select *, key_may_collide or {{ grouplake.json_keys_collide('value', 'k', collision_form) }} as members_may_collide
    from level_{{ depth }}
    where value_type = 'object'
),
{% endif %}
{% endfor %}

{% for may_collide in [false, true] %}
{{ 'colliding_leaves' if may_collide else 'unique_leaves' }} as (

    {%- if may_collide %}
    -- the leaves under an object with two member names that may collide
    {%- else %}
    -- the leaves no other leaf of the call can share a key with
    {%- endif %}
    {% for depth in range(1, max_depth + 1) %}
    select * from level_{{ depth }}
    where
        {% if not may_collide %}not {% endif %}key_may_collide
        {% if depth < max_depth %}and value_type <> 'object'{% endif %}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),
{% endfor %}

ranked as (

    select
        *,
        1 as key_rank
    from unique_leaves

    union all

    select
        *,
        row_number() over (
            partition by message_id, trait_key
            order by original_key desc, member_ordinal desc
        ) as key_rank
    from colliding_leaves

)

select
    message_id,
    group_type,
    group_id,
    trait_key,
    original_key,
    case when value_type <> 'null' then value end as value,
    case when value_type <> 'null' then {{ grouplake.json_scalar_text('value') }} end as value_text,
    value_type,
    depth,
    event_at,
    received_at,
    batch_id,
    source_line
from ranked
where key_rank = 1
{% endif %}
