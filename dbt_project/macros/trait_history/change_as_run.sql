{#
  An input row of history_runs_ctes, as a select list: a change with the run columns that
  macro reads (run_write_count, run_last_written_at, run_last_batch_id), the columns of
  trait_changes_ctes first and in its order (the steps of group_trait_history union their rows
  by position). change_seq_offset is each caller's own.

  - a change of trait_changes_ctes (default): a run of one write, itself;
  - `history_row=true`: an existing row of group_trait_history, the run it already folds (the
    change and its repeats: write_count, last_written_at, last_batch_id carried).

  `alias`: the table alias to read the columns from ('' for none).
#}
{% macro change_as_run(alias='', history_row=false) -%}
    {%- set p = alias ~ '.' if alias else '' -%}
    {%- for column in ['message_id', 'group_type', 'group_id', 'trait_key', 'original_key', 'value',
                       'value_text', 'value_type', 'write_kind'] %}
        {{ p }}{{ column }},
    {%- endfor %}
    {%- if history_row %}
        {{ p }}valid_from as event_at, {{ p }}received_at, {{ p }}batch_id, {{ p }}source_line,
        {{ p }}write_count as run_write_count,
        {{ p }}last_written_at as run_last_written_at,
        {{ p }}last_batch_id as run_last_batch_id
    {%- else %}
        {{ p }}event_at, {{ p }}received_at, {{ p }}batch_id, {{ p }}source_line,
        1 as run_write_count,
        {{ p }}event_at as run_last_written_at,
        {{ p }}batch_id as run_last_batch_id
    {%- endif %}
{%- endmacro %}
