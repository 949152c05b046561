{#
  The last step of group_trait_history, on both builds: the writes of each pair (`writes`:
  the columns of trait_changes_ctes plus run_write_count, run_last_written_at,
  run_last_batch_id and change_seq_offset) in last-write-wins order, a write whose value equals
  the previous write's value (a repeat) folded into the change it repeats, changes numbered
  from change_seq_offset + 1. Renders CTEs (no leading comma) ending with one named
  `result_cte`: one row per change with valid_from, valid_to (the next change's valid_from),
  write_count, last_written_at and last_batch_id (of its run of repeats).

  Two window passes over the writes and one aggregation, each CTE read once (a CTE read twice
  is materialised by DuckDB): the first pass numbers the writes and compares each with the one
  before it; the second numbers the changes and gives every write the valid_from of the next
  change after it (the least event_at of the changes that follow: event_at leads the
  last-write-wins order, so it never decreases along a pair); the aggregation folds each run
  of repeats into its change, taking the change's own columns from its one is_change row.
#}
{% macro history_runs_ctes(writes, result_cte) -%}
{{ result_cte }}__ordered as (

    -- the position of each write, and the value of the write before it (one window)
    select
        *,
        row_number() over (
            partition by group_type, group_id, trait_key order by {{ grouplake.lww_order_by() }}
        ) as write_seq,
        lag({{ grouplake.json_to_text('value') }}) over (
            partition by group_type, group_id, trait_key order by {{ grouplake.lww_order_by() }}
        ) as previous_value_json_text
    from {{ writes }}

),

{{ result_cte }}__flagged as (

    select
        *,
        case
            when write_seq = 1 then 1
            when {{ grouplake.is_distinct_from(grouplake.json_to_text('value'), 'previous_value_json_text') }} then 1
            else 0
        end as is_change
    from {{ result_cte }}__ordered

),

{{ result_cte }}__numbered as (

    -- the change each write belongs to, and when the next change after it starts (one window)
    select
        *,
        change_seq_offset + sum(is_change) over (
            partition by group_type, group_id, trait_key
            order by write_seq
            rows between unbounded preceding and current row
        ) as change_seq,
        min(case when is_change = 1 then event_at end) over (
            partition by group_type, group_id, trait_key
            order by write_seq
            rows between 1 following and unbounded following
        ) as next_change_at
    from {{ result_cte }}__flagged

),

{{ result_cte }} as (

    -- one row per change: its own columns from its is_change row, the repeats that followed
    -- it folded in
    select
        group_type,
        group_id,
        trait_key,
        change_seq,
        {%- for column in ['original_key', 'value', 'value_text', 'value_type', 'write_kind'] %}
        max(case when is_change = 1 then {{ column }} end) as {{ column }},
        {%- endfor %}
        max(case when is_change = 1 then event_at end) as valid_from,
        max(case when is_change = 1 then next_change_at end) as valid_to,
        {%- for column in ['message_id', 'received_at', 'batch_id', 'source_line'] %}
        max(case when is_change = 1 then {{ column }} end) as {{ column }},
        {%- endfor %}
        cast(sum(run_write_count) as {{ dbt.type_bigint() }}) as write_count,
        max(run_last_written_at) as last_written_at,
        max(run_last_batch_id) as last_batch_id
    from {{ result_cte }}__numbered
    group by group_type, group_id, trait_key, change_seq

)
{%- endmacro %}
