{#
  The current value of every trait of every group: one row per (group_type, group_id,
  trait_key).
  Cleared traits are kept, with value null and is_null = true.

  Incremental (delete+insert on group_id, trait_key, strategy delete_insert_by_keys): a run
  replaces the traits whose history has a row folding in a batch newer than the newest one
  this table holds (last_batch_id). Every (group, trait) that group_trait_history recomputed
  has one (its earliest new change is folded into some row), so the result equals a full
  refresh.
#}
{{
    config(
        materialized=grouplake.keyed_incremental_materialization(),
        incremental_strategy='delete_insert_by_keys',
        unique_key=['group_type', 'group_id', 'trait_key'],
        on_schema_change='fail',
    )
}}
{{ grouplake.require_warehouse_columns(['group_type', 'last_batch_id']) }}

{%- set history = ref('group_trait_history') %}
{%- set watermark = grouplake.incremental_watermark('last_batch_id') if is_incremental() else none %}
{% if is_incremental() and grouplake.no_rows_after(history, 'last_batch_id', watermark) %}
-- no history row folds in a batch newer than this table: nothing to replace
select * from {{ this }} where 1 = 0
{% else %}
with current_rows as (

    select * from {{ history }}
    where is_current

){% if is_incremental() %},

changed as (

    -- read straight from the table (not through current_rows): the filter on last_batch_id
    -- skips the storage blocks of older batches
    select distinct group_type, group_id, trait_key
    from {{ history }}
    where last_batch_id > {{ watermark }}

){% endif %}

select
    h.group_type,
    h.group_id,
    h.trait_key,
    h.original_key,
    h.value,
    h.value_text,
    h.value_type,
    h.is_null,
    h.valid_from as updated_at,
    h.message_id,
    h.last_written_at,
    h.change_seq as change_count,
    h.write_kind,
    h.last_batch_id
from current_rows as h
{% if is_incremental() %}
inner join changed as c
    on h.group_id = c.group_id
    and h.group_type = c.group_type
    and h.trait_key = c.trait_key
{% endif %}
{% endif %}
