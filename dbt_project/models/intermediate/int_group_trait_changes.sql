{#
  Every write that can change a trait, one row per (event, canonical trait key), ready for
  last-write-wins: the explicit writes of int_group_trait_writes, plus the writes implied by
  clearing a parent object.

  A null at a parent key (`"address": null`) is a write of null to `address` itself and a
  clear of every leaf under `address.` that the group had written *before* that event (in
  last-write-wins order): each such leaf gets a null write at the clearing event's position.
  Leaves first written after the clear are not touched. When the same event both clears a
  parent and writes a leaf under it (`{"address": null, "Address": {"city": "Oslo"}}`), the
  explicit leaf write wins.

  The SQL lives in the macro trait_changes_ctes (macros/trait_changes.sql): an incremental
  run of group_trait_history applies it to the writes of the pairs it recomputes only,
  instead of filtering this view (which would derive every change of every group first).
#}

with writes as (

    select * from {{ ref('int_group_trait_writes') }}

),

{{ grouplake.trait_changes_ctes('writes', 'writes', 'changes') }}

select * from changes
