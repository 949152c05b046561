{#
  Per-trait history with last-write-wins (SPEC §4, §5): one row per (group type, group, trait,
  change).

  Writes of one (group_type, group_id, trait_key) are ordered by event_at, received_at (missing first),
  batch_id, source_line. A write whose value equals the previous write's value (a repeat) is
  not a change: it is folded into the change it repeats (write_count, last_written_at).
  valid_to is the next change's valid_from; the current value has valid_to = null.

  Incremental: a run recomputes each (group, trait) pair that got a change from a batch newer
  than the newest batch already folded into this table (watermark: max(last_batch_id)), only
  from the last change that comes before the earliest new one:
    - new changes: the new batches' writes plus the clears their null parents imply (macro
      trait_changes_ctes; a leaf is cleared when its first write, taken from this table's
      change_seq = 1 row or from the new writes, precedes the null);
    - cutoff: the pair's earliest new change (last-write-wins order); nothing before it moved;
    - anchor: the pair's last existing change strictly before the cutoff. What precedes it did
      not move, so it stays a change with the same change_seq and valid_from, and the rows
      before it stay as they are (their valid_to is the anchor's valid_from);
    - the pair is recomputed from its anchor on (from its first write when it has no anchor)
      and change_seq continues from the anchor's. When the anchor is the current change and
      its whole run (last_written_at) is before the cutoff, every change at or after the
      cutoff is new: the anchor row (with its folded repeats counted in write_count) and the
      new changes are enough. Otherwise (late writes inside or before the existing history)
      the pair's writes from the anchor on are read again from int_group_trait_writes,
      with the clears of its group's null writes;
    - only the rows with change_seq >= the first recomputed one are replaced (strategy
      delete_insert_by_keys with replace_from_column, macros/incremental_delete_insert_by_keys.sql).
  So late-arriving older events land in the right place and the result equals a full refresh.
#}
{{
    config(
        materialized=grouplake.keyed_incremental_materialization(),
        incremental_strategy='delete_insert_by_keys',
        unique_key=['group_type', 'group_id', 'trait_key'],
        replace_from_column='change_seq',
        on_schema_change='fail',
    )
}}

{#- the incremental branch reads the writes table directly (see below) -#}
-- depends_on: {{ ref('int_group_trait_writes') }}
{{ grouplake.require_warehouse_columns(['group_type', 'last_batch_id']) }}

{% if is_incremental() %}
with new_writes as (

    -- the writes of the batches newer than the newest one already folded into this table
    select *
    from {{ ref('int_group_trait_writes') }}
    where batch_id > {{ grouplake.incremental_watermark('last_batch_id') }}

),

new_write_firsts as (

    {{ grouplake.first_per_pair_in_lww_order(
        'new_writes', 'group_type, group_id, trait_key, depth, event_at, received_at, batch_id, source_line') }}

),

history_firsts as (

    -- the first write of every pair already in the history (its first change), in the
    -- groups a new batch wrote to
    select
        group_type,
        group_id,
        trait_key,
        {{ dbt.length('trait_key') }} - {{ dbt.length(dbt.replace('trait_key', "'.'", "''")) }} + 1 as depth,
        valid_from as event_at,
        received_at,
        batch_id,
        source_line
    from {{ this }}
    where change_seq = 1
      and group_id in (select group_id from new_writes)

),

pair_firsts as (

    -- the first write ever of every pair of those groups, the new writes included
    select group_type, group_id, trait_key, depth, event_at, received_at, batch_id, source_line
    from (
        select
            *,
            row_number() over (
                partition by group_type, group_id, trait_key
                order by {{ grouplake.lww_order_by() }}
            ) as first_rank
        from (
            select * from history_firsts
            union all
            select * from new_write_firsts
        ) as firsts
    ) as ranked_firsts
    where first_rank = 1

),

{{ grouplake.trait_changes_ctes('new_writes', 'new_writes', 'new_changes', leaf_firsts='pair_firsts') }},

cutoffs as (

    -- per pair, its earliest new change
    {{ grouplake.first_per_pair_in_lww_order(
        'new_changes', 'group_type, group_id, trait_key, event_at, received_at, batch_id, source_line') }}

),

anchor_seqs as (

    -- per pair, its last existing change strictly before the cutoff
    select h.group_type, h.group_id, h.trait_key, max(h.change_seq) as change_seq
    from (
        select group_type, group_id, trait_key, change_seq,
               valid_from as event_at, received_at, batch_id, source_line
        from {{ this }}
    ) as h
    inner join cutoffs as c
        on h.group_id = c.group_id
        and h.group_type = c.group_type
        and h.trait_key = c.trait_key
    where {{ grouplake.lww_precedes('h', 'c') }}
    group by h.group_type, h.group_id, h.trait_key

),

anchors as (

    select
        h.*,
        (h.is_current and h.last_written_at < c.event_at) as run_before_cutoff
    from {{ this }} as h
    inner join anchor_seqs as s
        on h.group_id = s.group_id
        and h.group_type = s.group_type
        and h.trait_key = s.trait_key
        and h.change_seq = s.change_seq
    inner join cutoffs as c
        on h.group_id = c.group_id
        and h.group_type = c.group_type
        and h.trait_key = c.trait_key

),

appended as (

    -- pairs whose new changes all come after the current change and its repeats: the
    -- current change as it is (its repeats so far folded in) followed by the new changes
    select
        message_id, group_type, group_id, trait_key, original_key, value, value_text, value_type, write_kind,
        valid_from as event_at, received_at, batch_id, source_line,
        write_count as run_write_count,
        last_written_at as run_last_written_at,
        last_batch_id as run_last_batch_id,
        change_seq - 1 as change_seq_offset
    from anchors
    where run_before_cutoff

    union all

    select
        n.message_id, n.group_type, n.group_id, n.trait_key, n.original_key, n.value, n.value_text, n.value_type, n.write_kind,
        n.event_at, n.received_at, n.batch_id, n.source_line,
        1 as run_write_count,
        n.event_at as run_last_written_at,
        n.batch_id as run_last_batch_id,
        a.change_seq - 1 as change_seq_offset
    from new_changes as n
    inner join anchors as a
        on n.group_id = a.group_id
        and n.group_type = a.group_type
        and n.trait_key = a.trait_key
    where a.run_before_cutoff

),

reread_pairs as (

    -- the other pairs: new, or with a new change inside or before the existing history;
    -- recomputed from the writes at and after the anchor (all of them without an anchor)
    select
        c.group_type,
        c.group_id,
        c.trait_key,
        a.change_seq as anchor_seq,
        a.valid_from as event_at,
        a.received_at,
        a.batch_id,
        a.source_line
    from cutoffs as c
    left join anchors as a
        on c.group_id = a.group_id
        and c.group_type = a.group_type
        and c.trait_key = a.trait_key
    where a.group_id is null
       or not a.run_before_cutoff

),

reread_writes as (

    select w.*
    from (
        -- narrowed to the pairs' groups first: a semi join with the few pairs on the build
        -- side, where a plain join may hash the whole writes table
        select *
        from {{ ref('int_group_trait_writes') }}
        where group_id in (select group_id from reread_pairs)
    ) as w
    inner join reread_pairs as p
        on w.group_id = p.group_id
        and w.group_type = p.group_type
        and w.trait_key = p.trait_key
    where p.anchor_seq is null
       or not {{ grouplake.lww_precedes('w', 'p') }}

),

reread_null_writes as (

    -- the null writes that may clear those pairs: their groups' nulls
    select w.*
    from {{ ref('int_group_trait_writes') }} as w
    where w.value_type = 'null'
      and w.group_id in (select group_id from reread_pairs)

),

reread_firsts as (

    select f.*
    from pair_firsts as f
    inner join reread_pairs as p
        on f.group_id = p.group_id
        and f.group_type = p.group_type
        and f.trait_key = p.trait_key

),

{{ grouplake.trait_changes_ctes('reread_writes', 'reread_null_writes', 'reread_changes', leaf_firsts='reread_firsts') }},

scoped as (

    select * from appended

    union all

    select
        r.*,
        1 as run_write_count,
        r.event_at as run_last_written_at,
        r.batch_id as run_last_batch_id,
        coalesce(p.anchor_seq - 1, 0) as change_seq_offset
    from reread_changes as r
    inner join reread_pairs as p
        on r.group_id = p.group_id
        and r.group_type = p.group_type
        and r.trait_key = p.trait_key
    -- clears before the anchor are derived too (the null writes are not filtered per pair)
    where p.anchor_seq is null
       or not {{ grouplake.lww_precedes('r', 'p') }}

),
{% else %}
with scoped as (

    select
        *,
        1 as run_write_count,
        event_at as run_last_written_at,
        batch_id as run_last_batch_id,
        0 as change_seq_offset
    from {{ ref('int_group_trait_changes') }}

),
{% endif %}

ordered as (

    -- the position of each write, and the value of the write before it (one window)
    select
        *,
        row_number() over (
            partition by group_type, group_id, trait_key order by {{ grouplake.lww_order_by() }}
        ) as write_seq,
        lag(value_json_text) over (
            partition by group_type, group_id, trait_key order by {{ grouplake.lww_order_by() }}
        ) as previous_value_json_text
    from (
        select *, {{ grouplake.json_to_text('value') }} as value_json_text
        from scoped
    ) as with_text

),

flagged as (

    select
        *,
        case
            when write_seq = 1 then 1
            when {{ grouplake.is_distinct_from('value_json_text', 'previous_value_json_text') }} then 1
            else 0
        end as is_change
    from ordered

),

numbered as (

    select
        *,
        change_seq_offset + sum(is_change) over (
            partition by group_type, group_id, trait_key
            order by write_seq
            rows between unbounded preceding and current row
        ) as change_seq
    from flagged

),

runs as (

    -- one row per change, with the repeats that followed it folded in
    select
        group_type,
        group_id,
        trait_key,
        change_seq,
        cast(sum(run_write_count) as {{ dbt.type_bigint() }}) as write_count,
        max(run_last_written_at) as last_written_at,
        max(run_last_batch_id) as last_batch_id
    from numbered
    group by group_type, group_id, trait_key, change_seq

),

changes_only as (

    select
        n.group_type,
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
            partition by n.group_type, n.group_id, n.trait_key order by n.change_seq
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
        and n.group_type = r.group_type
        and n.trait_key = r.trait_key
        and n.change_seq = r.change_seq
    where n.is_change = 1

)

select
    group_type,
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
