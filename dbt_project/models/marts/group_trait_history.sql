{#
  Per-trait history with last-write-wins (SPEC §4, §5): one row per (group, trait, change).

  Writes of one (group_id, trait_key) are ordered by event_at, received_at (missing first),
  batch_id, source_line. A write whose value equals the previous write's value (a repeat) is
  not a change: it is folded into the change it repeats (write_count, last_written_at).
  valid_to is the next change's valid_from; the current value has valid_to = null.

  Incremental (delete+insert on group_id, trait_key, with the keys made distinct before the
  delete: macros/incremental_delete_insert_by_keys.sql): a run recomputes the whole history of
  every (group, trait) pair that received a write from a batch newer than the newest batch
  already folded into this table (or a leaf under a key such a batch set to null), so
  late-arriving older events land in the right place and the result equals a full refresh.
  The pairs are found in int_group_trait_writes first, and only their writes (plus their
  groups' null writes) go through the parent-clear derivation of int_group_trait_changes
  (macro trait_changes_ctes) and the windows below.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete_insert_by_keys',
        unique_key=['group_id', 'trait_key'],
        on_schema_change='fail',
    )
}}

{#- the incremental branch reads the writes table directly (see below) -#}
-- depends_on: {{ ref('int_group_trait_writes') }}

{% if is_incremental() %}
with writes as (

    select * from {{ ref('int_group_trait_writes') }}

),

new_writes as (

    select group_id, trait_key, value_type
    from writes
    where batch_id > (select coalesce(max(last_batch_id), -1) from {{ this }})

),

new_null_writes as (

    select distinct group_id, trait_key
    from new_writes
    where value_type = 'null'

),

touched as (

    -- the pairs a new batch wrote to ...
    select group_id, trait_key
    from new_writes

    union

    -- ... and the leaves under a key a new batch set to null (it may clear them)
    select w.group_id, w.trait_key
    from writes as w
    inner join new_null_writes as n
        on w.group_id = n.group_id
        and substr(w.trait_key, 1, {{ dbt.length('n.trait_key') }} + 1) = {{ dbt.concat(['n.trait_key', "'.'"]) }}

),

scoped_writes as (

    -- every write of the touched pairs, filtered before any join or window
    select w.*
    from writes as w
    inner join touched as t
        on w.group_id = t.group_id
        and w.trait_key = t.trait_key

),

scoped_null_writes as (

    -- the null writes that can clear those leaves: the touched groups' nulls
    select w.*
    from writes as w
    where w.value_type = 'null'
      and w.group_id in (select group_id from touched)

),

{{ grouplake.trait_changes_ctes('scoped_writes', 'scoped_null_writes', 'scoped') }},
{% else %}
with scoped as (

    select * from {{ ref('int_group_trait_changes') }}

),
{% endif %}

ordered as (

    select
        *,
        {{ grouplake.json_to_text('value') }} as value_json_text,
        row_number() over (
            partition by group_id, trait_key
            order by {{ grouplake.lww_order_by() }}
        ) as write_seq
    from scoped

),

flagged as (

    select
        *,
        case
            when write_seq = 1 then 1
            when {{ grouplake.is_distinct_from(
                    'value_json_text',
                    'lag(value_json_text) over (partition by group_id, trait_key order by write_seq)') }}
                then 1
            else 0
        end as is_change
    from ordered

),

numbered as (

    select
        *,
        sum(is_change) over (
            partition by group_id, trait_key
            order by write_seq
            rows between unbounded preceding and current row
        ) as change_seq
    from flagged

),

runs as (

    -- one row per change, with the repeats that followed it folded in
    select
        group_id,
        trait_key,
        change_seq,
        count(*) as write_count,
        max(event_at) as last_written_at,
        max(batch_id) as last_batch_id
    from numbered
    group by group_id, trait_key, change_seq

),

changes_only as (

    select
        n.group_id,
        n.trait_key,
        n.change_seq,
        n.original_key,
        n.value,
        n.value_text,
        n.value_type,
        n.write_kind,
        n.event_at as valid_from,
        lead(n.event_at) over (
            partition by n.group_id, n.trait_key order by n.change_seq
        ) as valid_to,
        n.message_id,
        n.received_at,
        n.batch_id,
        n.source_line,
        r.write_count,
        r.last_written_at,
        r.last_batch_id
    from numbered as n
    inner join runs as r
        on n.group_id = r.group_id
        and n.trait_key = r.trait_key
        and n.change_seq = r.change_seq
    where n.is_change = 1

)

select
    group_id,
    trait_key,
    change_seq,
    original_key,
    value,
    value_text,
    value_type,
    value_type = 'null' as is_null,
    write_kind,
    valid_from,
    valid_to,
    valid_to is null as is_current,
    message_id,
    received_at,
    batch_id,
    source_line,
    write_count,
    last_written_at,
    last_batch_id
from changes_only
