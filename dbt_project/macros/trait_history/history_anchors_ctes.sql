{#
  Incremental step of group_trait_history: per pair with a new change, its *anchor*, the last
  change already in the history that comes strictly before the pair's cutoff (its earliest new
  change, `cutoffs`: one row per pair with its last-write-wins position). Nothing before the
  anchor moved. Renders CTEs (no leading comma) ending with one named `result_cte`: the
  anchor's history row, plus run_before_cutoff (true when the anchor is the current change and
  its whole run, repeats included, comes before the cutoff: the new changes then simply follow
  it). Pairs without an anchor (new pairs, or a cutoff before their first change) have no row.
#}
{% macro history_anchors_ctes(history, cutoffs, result_cte) -%}
{{ result_cte }}__seqs as (

    -- per pair, its last existing change strictly before the cutoff
    select h.group_type, h.group_id, h.trait_key, max(h.change_seq) as change_seq
    from (
        select group_type, group_id, trait_key, change_seq,
               valid_from as event_at, received_at, batch_id, source_line
        from {{ history }}
    ) as h
    inner join {{ cutoffs }} as c
        on {{ grouplake.columns_equal('h', 'c', ['group_id', 'group_type', 'trait_key']) }}
    where {{ grouplake.lww_precedes('h', 'c') }}
    group by h.group_type, h.group_id, h.trait_key

),

{{ result_cte }} as (

    select
        h.*,
        (h.is_current and h.last_written_at < c.event_at) as run_before_cutoff
    from {{ history }} as h
    inner join {{ result_cte }}__seqs as s
        on {{ grouplake.columns_equal('h', 's', ['group_id', 'group_type', 'trait_key', 'change_seq']) }}
    inner join {{ cutoffs }} as c
        on {{ grouplake.columns_equal('h', 'c', ['group_id', 'group_type', 'trait_key']) }}

)
{%- endmacro %}
