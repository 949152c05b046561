{#
  The last step of group_trait_history, on both builds: the writes of each pair (`writes`:
  the columns of trait_changes_ctes plus run_write_count, run_last_written_at,
  run_last_batch_id and change_seq_offset) in last-write-wins order, a write whose value equals
  the previous write's value (a repeat) folded into the change it repeats, changes numbered
  from change_seq_offset + 1. Renders CTEs (no leading comma) ending with one named
  `result_cte`: one row per change with valid_from, valid_to (the next change's valid_from),
  write_count, last_written_at and last_batch_id (of its run of repeats).
#}
{% macro history_runs_ctes(writes, result_cte) -%}
{%- set pair = ['group_id', 'group_type', 'trait_key'] -%}
{{ result_cte }}__ordered as (

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
        from {{ writes }}
    ) as with_text

),

{{ result_cte }}__flagged as (

    select
        *,
        case
            when write_seq = 1 then 1
            when {{ grouplake.is_distinct_from('value_json_text', 'previous_value_json_text') }} then 1
            else 0
        end as is_change
    from {{ result_cte }}__ordered

),

{{ result_cte }}__numbered as (

    select
        *,
        change_seq_offset + sum(is_change) over (
            partition by group_type, group_id, trait_key
            order by write_seq
            rows between unbounded preceding and current row
        ) as change_seq
    from {{ result_cte }}__flagged

),

{{ result_cte }}__runs as (

    -- one row per change, with the repeats that followed it folded in
    select
        group_type,
        group_id,
        trait_key,
        change_seq,
        cast(sum(run_write_count) as {{ dbt.type_bigint() }}) as write_count,
        max(run_last_written_at) as last_written_at,
        max(run_last_batch_id) as last_batch_id
    from {{ result_cte }}__numbered
    group by group_type, group_id, trait_key, change_seq

),

{{ result_cte }} as (

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
    from {{ result_cte }}__numbered as n
    inner join {{ result_cte }}__runs as r
        on {{ grouplake.columns_equal('n', 'r', pair + ['change_seq']) }}
    where n.is_change = 1

)
{%- endmacro %}
