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
{%- set writes = ref('int_group_trait_writes') %}
with new_writes as (

    -- the writes of the batches newer than the newest one already folded into this table
    select *
    from {{ writes }}
    where batch_id > {{ grouplake.incremental_watermark('last_batch_id') }}

),

{{ grouplake.pair_first_writes_ctes(this, 'new_writes', 'pair_firsts') }},

{{ grouplake.trait_changes_ctes('new_writes', 'new_writes', 'new_changes', leaf_firsts='pair_firsts') }},

cutoffs as (

    -- per pair, its earliest new change
    {{ grouplake.first_per_pair_in_lww_order(
        'new_changes', 'group_type, group_id, trait_key, event_at, received_at, batch_id, source_line') }}

),

{{ grouplake.history_anchors_ctes(this, 'cutoffs', 'anchors') }},

appended as (

    {{ grouplake.appended_changes('anchors', 'new_changes') }}

),

{{ grouplake.reread_changes_ctes(writes, 'cutoffs', 'anchors', 'pair_firsts', 'reread') }},

scoped as (

    select * from appended
    union all
    select * from reread

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

{{ grouplake.history_runs_ctes('scoped', 'changes') }}

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
from changes
