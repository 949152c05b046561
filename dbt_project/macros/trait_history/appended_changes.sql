{#
  Incremental step of group_trait_history: the pairs whose new changes all come after the
  current change and its repeats (`anchors` with run_before_cutoff): the current change as it
  is (its repeats so far folded in: write_count, last_written_at, last_batch_id) followed by the
  pair's new changes. Renders a query with the columns of trait_changes_ctes plus the run
  columns read by history_runs_ctes (run_write_count, run_last_written_at, run_last_batch_id,
  change_seq_offset: change_seq continues from the anchor's).
#}
{% macro appended_changes(anchors, new_changes) -%}
    select
        message_id, group_type, group_id, trait_key, original_key, value, value_text, value_type, write_kind,
        valid_from as event_at, received_at, batch_id, source_line,
        write_count as run_write_count,
        last_written_at as run_last_written_at,
        last_batch_id as run_last_batch_id,
        change_seq - 1 as change_seq_offset
    from {{ anchors }}
    where run_before_cutoff

    union all

    select
        n.message_id, n.group_type, n.group_id, n.trait_key, n.original_key, n.value, n.value_text, n.value_type, n.write_kind,
        n.event_at, n.received_at, n.batch_id, n.source_line,
        1 as run_write_count,
        n.event_at as run_last_written_at,
        n.batch_id as run_last_batch_id,
        a.change_seq - 1 as change_seq_offset
    from {{ new_changes }} as n
    inner join {{ anchors }} as a
        on {{ grouplake.columns_equal('n', 'a', ['group_id', 'group_type', 'trait_key']) }}
    where a.run_before_cutoff
{%- endmacro %}
