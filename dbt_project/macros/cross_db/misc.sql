{# ---- cast that yields NULL instead of failing ------------------------------------------ #}
{% macro try_cast(expr, type) %}{{ return(adapter.dispatch('try_cast', 'grouplake')(expr, type)) }}{% endmacro %}
{% macro default__try_cast(expr, type) %}try_cast({{ expr }} as {{ type }}){% endmacro %}
{% macro duckdb__try_cast(expr, type) %}try_cast({{ expr }} as {{ type }}){% endmacro %}
{% macro spark__try_cast(expr, type) %}try_cast({{ expr }} as {{ type }}){% endmacro %}
{% macro postgres__try_cast(expr, type) %}cast({{ expr }} as {{ type }}){% endmacro %}


{# ---- NULL-safe inequality ---------------------------------------------------------------- #}
{% macro is_distinct_from(a, b) %}{{ return(adapter.dispatch('is_distinct_from', 'grouplake')(a, b)) }}{% endmacro %}
{% macro default__is_distinct_from(a, b) %}({{ a }} is distinct from {{ b }}){% endmacro %}
{% macro spark__is_distinct_from(a, b) %}(not ({{ a }} <=> {{ b }})){% endmacro %}


{#
  ---- last-write-wins order (SPEC §4) -------------------------------------------------------
  Writes are ordered by event_at, then received_at (a missing received_at first), then load
  order: batch_id, source_line. (batch_id, source_line) is unique per event, so the order is total.
#}
{% macro lww_order_by(alias=none, descending=false) -%}
    {%- set p = (alias ~ '.') if alias else '' -%}
    {%- if descending -%}
    {{ p }}event_at desc, {{ p }}received_at desc nulls last, {{ p }}batch_id desc, {{ p }}source_line desc
    {%- else -%}
    {{ p }}event_at, {{ p }}received_at nulls first, {{ p }}batch_id, {{ p }}source_line
    {%- endif -%}
{%- endmacro %}

{#
  The first row of each (group_type, group_id, trait_key) of `relation` in last-write-wins
  order, with `columns` (which must include the pair and the columns of lww_order_by).
#}
{% macro first_per_pair_in_lww_order(relation, columns, where=none) -%}
    select {{ columns }}
    from (
        select
            {{ columns }},
            row_number() over (
                partition by group_type, group_id, trait_key
                order by {{ grouplake.lww_order_by() }}
            ) as lww_rank
        from {{ relation }}
        {%- if where %}
        where {{ where }}
        {%- endif %}
    ) as ranked_by_lww
    where lww_rank = 1
{%- endmacro %}

{# true when write `a` comes strictly before write `b` in last-write-wins order, else false
   (never null, so `not lww_precedes(...)` is safe with missing received_at) #}
{% macro lww_precedes(a, b) -%}
    coalesce(({{ a }}.event_at < {{ b }}.event_at
     or ({{ a }}.event_at = {{ b }}.event_at and (
            ({{ a }}.received_at is null and {{ b }}.received_at is not null)
         or {{ a }}.received_at < {{ b }}.received_at
         or (({{ a }}.received_at = {{ b }}.received_at
              or ({{ a }}.received_at is null and {{ b }}.received_at is null))
             and ({{ a }}.batch_id < {{ b }}.batch_id
                  or ({{ a }}.batch_id = {{ b }}.batch_id and {{ a }}.source_line < {{ b }}.source_line)))))), false)
{%- endmacro %}


{#
  ---- a fast non-cryptographic hash of several columns, or none -----------------------------
  Equal values (NULLs included) give equal hashes. Renders nothing where there is no cheap
  one; callers then work on the values themselves.
#}
{% macro combination_hash(columns) %}{{ return(adapter.dispatch('combination_hash', 'grouplake')(columns)) }}{% endmacro %}
{% macro default__combination_hash(columns) %}{{ return('') }}{% endmacro %}
{% macro duckdb__combination_hash(columns) %}{{ return('hash(' ~ (columns | join(', ')) ~ ')') }}{% endmacro %}
{% macro spark__combination_hash(columns) %}{{ return('xxhash64(' ~ (columns | join(', ')) ~ ')') }}{% endmacro %}


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


{#
  ---- the raw source where it is not a warehouse table (on-run-start hook) -----------------
  DuckDB reads raw.group_events, written by the loader: nothing to do. Spark reads the lake:
  the hook (re)creates the view <raw schema>.group_events over the Parquet dataset
  `<lake>/group_events` (GROUPLAKE_LAKE), whose received_date partitions Spark discovers when
  a query runs, so a load needs no metastore refresh. Renders no SQL (the statements run here).
#}
{% macro create_raw_source() %}{{ return(adapter.dispatch('create_raw_source', 'grouplake')()) }}{% endmacro %}
{% macro default__create_raw_source() %}{{ return('') }}{% endmacro %}
{% macro spark__create_raw_source() %}
    {%- if execute -%}
        {%- set lake = env_var('GROUPLAKE_LAKE', '') | trim -%}
        {%- if not lake -%}
            {{ exceptions.raise_compiler_error("GROUPLAKE_LAKE is not set: the Spark target reads the raw events from <lake>/group_events") }}
        {%- endif -%}
        {%- set raw_schema = var('grouplake_raw_schema', 'raw') -%}
        {%- set dataset = (lake.rstrip('/') ~ '/group_events') | replace('`', '``') -%}
        {%- do run_query('create schema if not exists ' ~ raw_schema) -%}
        {%- do run_query('create or replace view ' ~ raw_schema ~ '.group_events as select * from parquet.`' ~ dataset ~ '`') -%}
    {%- endif -%}
    {{- return('') -}}
{% endmacro %}
