{#
  ---- materialization of the models built incrementally by key (delete_insert_by_keys) -----
  The one engine difference in the models' configs:
      config(materialized=grouplake.keyed_incremental_materialization(), ...)
  DuckDB: incremental (delete + insert of the recomputed keys). Spark: a table rebuilt on every
  run, because plain Parquet tables cannot DELETE and dbt-spark's `merge` needs Delta, Iceberg
  or Hudi (see docs/models.md, "Other engines", for what it costs).
#}
{% macro keyed_incremental_materialization() %}{{ return(adapter.dispatch('keyed_incremental_materialization', 'grouplake')()) }}{% endmacro %}
{% macro default__keyed_incremental_materialization() %}{{ return('incremental') }}{% endmacro %}
{% macro spark__keyed_incremental_materialization() %}{{ return('table') }}{% endmacro %}
