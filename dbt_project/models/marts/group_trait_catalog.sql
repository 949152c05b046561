{#
  Which traits exist, per group type: one row per (group_type, trait_key), with the spellings
  senders used, the JSON types they wrote and how often, and how many groups hold a value now.
  A trait has a type conflict when more than one non-null JSON type was written to it
  (`"250"` and `250`). Counts are over the explicit writes (int_group_trait_writes: nested
  leaves and explicit nulls included; the clears implied by a null parent are not writes).

  A table rebuilt on every run from two small inputs: the write counts
  (int_group_trait_catalog_counts, incremental) and group_traits_latest.
#}

with counts as (

    select * from {{ ref('int_group_trait_catalog_counts') }}

),

per_type as (

    select group_type, trait_key, value_type, sum(write_count) as write_count
    from counts
    group by group_type, trait_key, value_type

),

types as (

    select
        group_type,
        trait_key,
        {{ grouplake.json_object_agg('value_type', grouplake.json_number('write_count')) }} as value_types,
        sum(case when value_type <> 'null' then 1 else 0 end) > 1 as has_type_conflict
    from per_type
    group by group_type, trait_key

),

keys as (

    select
        group_type,
        trait_key,
        {{ grouplake.json_array_agg_distinct('original_key') }} as original_keys,
        sum(write_count) as write_count,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at
    from counts
    group by group_type, trait_key

),

current_values as (

    select
        group_type,
        trait_key,
        sum(case when is_null then 0 else 1 end) as groups_with_value,
        sum(case when is_null then 1 else 0 end) as groups_cleared
    from {{ ref('group_traits_latest') }}
    group by group_type, trait_key

)

select
    k.group_type,
    k.trait_key,
    k.original_keys,
    t.value_types,
    t.has_type_conflict,
    cast(coalesce(c.groups_with_value, 0) as {{ dbt.type_bigint() }}) as groups_with_value,
    cast(coalesce(c.groups_cleared, 0) as {{ dbt.type_bigint() }}) as groups_cleared,
    cast(k.write_count as {{ dbt.type_bigint() }}) as write_count,
    k.first_seen_at,
    k.last_seen_at
from keys as k
inner join types as t
    on k.group_type = t.group_type
        and k.trait_key = t.trait_key
left join current_values as c
    on k.group_type = c.group_type
        and k.trait_key = c.trait_key
