{#
  Per-trait history with last-write-wins (SPEC §4, §5): one row per (group type, group, trait,
  change). Writes of one (group_type, group_id, trait_key) are ordered by lww_order_by; a write
  whose value equals the previous write's value (a repeat) is folded into the change it repeats
  (write_count, last_written_at); valid_to is the next change's valid_from, null for the
  current value (macro history_runs_ctes, on both builds).

  Incremental: a run recomputes each pair that got a change from a batch newer than the newest
  one folded into this table (max(last_batch_id)), only from its *anchor* on, the last existing
  change before the pair's earliest new change (its *cutoff*):
    - new changes: the new writes plus the clears their null parents imply (trait_changes_ctes,
      over the pairs' first writes: pair_first_writes_ctes);
    - anchors (history_anchors_ctes); pairs whose new changes all follow the current change and
      its repeats get the anchor row and the new changes (appended_changes); the other pairs with
      an anchor get their existing changes from the anchor on as whole runs and the new changes
      (carried_runs_ctes), except the runs a new change splits, which are read again from their
      writes, as are the pairs without an anchor (reread_changes_ctes);
    - change_seq continues from the anchor's and only the rows from the first recomputed one on
      are replaced (strategy delete_insert_by_keys with replace_from_column).
  So late-arriving older events land in the right place and the result equals a full refresh
  (docs/models.md, "Incremental runs").
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

{%- set writes = ref('int_group_trait_writes') %}
{%- set watermark = grouplake.incremental_watermark('last_batch_id') if is_incremental() else none %}
{% if is_incremental() and grouplake.no_rows_after(writes, 'batch_id', watermark) %}
-- no write newer than this table: nothing to recompute
select * from {{ this }} where 1 = 0
{% else %}
{% if is_incremental() %}
with new_writes as (

    -- the writes of the batches newer than the newest one already folded into this table
    select *
    from {{ writes }}
    where batch_id > {{ watermark }}

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

{{ grouplake.carried_runs_ctes(this, 'anchors', 'new_changes', 'carried') }},

{{ grouplake.reread_changes_ctes(writes, 'new_writes', 'cutoffs', 'anchors', 'carried__split_runs', 'pair_firsts', 'reread') }},

scoped as (

    select * from appended
    union all
    select * from carried
    union all
    select * from reread

),
{% else %}
with scoped as (

    select
        {{ grouplake.change_as_run() }},
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
{% endif %}
