{#
  Incremental step of group_trait_history: the pairs whose new changes all come after the
  current change and its repeats (`anchors` with run_before_cutoff): the current change as it
  is (its repeats so far folded in: write_count, last_written_at, last_batch_id) followed by the
  pair's new changes. Renders a query with the columns of change_as_run plus
  change_seq_offset (change_seq continues from the anchor's).
#}
{% macro appended_changes(anchors, new_changes) -%}
    select
        {{ grouplake.change_as_run(history_row=true) }},
        change_seq - 1 as change_seq_offset
    from {{ anchors }}
    where run_before_cutoff

    union all

    select
        {{ grouplake.change_as_run('n') }},
        a.change_seq - 1 as change_seq_offset
    from {{ new_changes }} as n
    inner join {{ anchors }} as a
        on {{ grouplake.columns_equal('n', 'a', ['group_id', 'group_type', 'trait_key']) }}
    where a.run_before_cutoff
{%- endmacro %}
