{#
  Incremental step of group_trait_history: the pairs whose new changes do not all follow the
  current change and its repeats (`anchors` without run_before_cutoff: a late change inside or
  before the existing history after the anchor). Their existing changes from the anchor on go
  to the history windows as whole runs (write_count, last_written_at and last_batch_id of the
  change and its repeats carried, as appended_changes does for the anchor), and each new change
  as one write, so no old write is read again, except in a *split run*.

  A new change falls in the run of the last existing change before it (last-write-wins order);
  it leaves that run's writes where they are when it repeats the run's value (it folds into the
  run) or comes after the run's last write (event_at > last_written_at: it starts a change,
  and the next change may fold into it). Otherwise it splits the run: the writes of the run after
  it become a change of their own, so the run is read again from its writes by
  reread_changes_ctes (between its change and the next change; `<result_cte>__split_runs`) and
  its new changes come from there too.

  Renders CTEs (no leading comma) ending with one named `result_cte`, with the columns of
  appended_changes (change_seq continues from the anchor's); `<result_cte>__split_runs`: one row
  per split run (group_type, group_id, trait_key, anchor_seq, the position of its change:
  event_at, received_at, batch_id, source_line, and of the next change: to_event_at,
  to_received_at, to_batch_id, to_source_line, null for the current change).
#}
{% macro carried_runs_ctes(history, anchors, new_changes, result_cte) -%}
{%- set pair = ['group_id', 'group_type', 'trait_key'] -%}
{%- set next_change = 'over (partition by h.group_type, h.group_id, h.trait_key order by h.change_seq)' -%}
{{ result_cte }}__runs as (

    -- the existing changes from the anchor on, each with the position of the next change (where
    -- its run of repeats ends)
    select
        h.*,
        a.change_seq as anchor_seq,
        lead(h.valid_from) {{ next_change }} as next_event_at,
        lead(h.received_at) {{ next_change }} as next_received_at,
        lead(h.batch_id) {{ next_change }} as next_batch_id,
        lead(h.source_line) {{ next_change }} as next_source_line
    from {{ history }} as h
    inner join {{ anchors }} as a
        on {{ grouplake.columns_equal('h', 'a', pair) }}
    where not a.run_before_cutoff
      and h.change_seq >= a.change_seq

),

{{ result_cte }}__placed as (

    -- each new change of those pairs with the run it falls in (run_seq: the last existing
    -- change before it; the anchor precedes every new change)
    select group_type, group_id, trait_key, message_id, run_seq
    from (
        select
            group_type,
            group_id,
            trait_key,
            message_id,
            is_new,
            max(change_seq) over (
                partition by group_type, group_id, trait_key
                order by {{ grouplake.lww_order_by() }}
                rows between unbounded preceding and current row
            ) as run_seq
        from (
            select
                group_type, group_id, trait_key, change_seq, message_id,
                valid_from as event_at, received_at, batch_id, source_line, false as is_new
            from {{ result_cte }}__runs

            union all

            select
                n.group_type, n.group_id, n.trait_key, cast(null as {{ dbt.type_bigint() }}) as change_seq, n.message_id,
                n.event_at, n.received_at, n.batch_id, n.source_line, true as is_new
            from {{ new_changes }} as n
            inner join {{ anchors }} as a
                on {{ grouplake.columns_equal('n', 'a', pair) }}
            where not a.run_before_cutoff
        ) as positions
    ) as positioned
    where is_new

),

{{ result_cte }}__new as (

    select n.*, p.run_seq
    from {{ new_changes }} as n
    inner join {{ result_cte }}__placed as p
        on {{ grouplake.columns_equal('n', 'p', pair + ['message_id']) }}

),

{{ result_cte }}__split_runs as (

    -- the runs a new change splits: inside the run (not after its last write), another value
    select distinct
        r.group_type,
        r.group_id,
        r.trait_key,
        r.anchor_seq,
        r.change_seq,
        r.valid_from as event_at,
        r.received_at,
        r.batch_id,
        r.source_line,
        r.next_event_at as to_event_at,
        r.next_received_at as to_received_at,
        r.next_batch_id as to_batch_id,
        r.next_source_line as to_source_line
    from {{ result_cte }}__new as n
    inner join {{ result_cte }}__runs as r
        on {{ grouplake.columns_equal('n', 'r', pair) }}
        and r.change_seq = n.run_seq
    where {{ grouplake.is_distinct_from(grouplake.json_to_text('n.value'), grouplake.json_to_text('r.value')) }}
      and not n.event_at > r.last_written_at

),

{{ result_cte }} as (

    -- the existing changes outside the split runs, as whole runs
    select
        {{ grouplake.change_as_run('r', history_row=true) }},
        r.anchor_seq - 1 as change_seq_offset
    from {{ result_cte }}__runs as r
    where not exists (
        select 1 from {{ result_cte }}__split_runs as s
        where {{ grouplake.columns_equal('s', 'r', pair + ['change_seq']) }}
    )

    union all

    -- the new changes outside the split runs, one write each
    select
        {{ grouplake.change_as_run('n') }},
        a.change_seq - 1 as change_seq_offset
    from {{ result_cte }}__new as n
    inner join {{ anchors }} as a
        on {{ grouplake.columns_equal('n', 'a', pair) }}
    where not exists (
        select 1 from {{ result_cte }}__split_runs as s
        where {{ grouplake.columns_equal('s', 'n', pair) }}
          and s.change_seq = n.run_seq
    )

)
{%- endmacro %}
