{#
  Every write that can change a trait, one row per (event, canonical trait key), ready for
  last-write-wins: the explicit writes of int_group_trait_writes, plus the writes implied by
  clearing a parent object.

  The rule for null parents (`"address": null` clears the leaves written before it) is
  documented with the SQL, in the macro below.

  The SQL lives in the macro trait_changes_ctes (macros/trait_history/trait_changes_ctes.sql): an incremental
  run of group_trait_history applies it to the new writes and to the writes of the few pairs
  it re-reads, instead of filtering this view (which would derive every change of every
  group first).
#}

{#- the writes table itself, not a CTE over it: each step below scans only the columns and rows it
    needs (a CTE would be materialised whole, a second in-memory copy of every write) -#}
{%- set writes = ref('int_group_trait_writes') %}
with

{{ grouplake.trait_changes_ctes(writes, writes, 'changes') }}

select * from changes
