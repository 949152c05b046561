{#
  Incremental step of group_trait_history: the changes read again from `writes`
  (int_group_trait_writes), with the clears of their groups' null writes (trait_changes_ctes),
  in two kinds of ranges:
    - the pairs with a new change and no anchor (new pairs, or a new change before their first
      one): all their writes (for a new pair, its writes are all new: read from `new_writes`);
    - the split runs of carried_runs_ctes (`split_runs`): the pair's writes from the run's
      change up to the next change.
  `new_writes`: the writes of the new batches; `cutoffs`: one row per pair with a new change;
  `anchors`: the history_anchors_ctes result; `pair_firsts`: the pair_first_writes_ctes result
  (its helper `<pair_firsts>__history` tells the pairs already in the history).
  Renders CTEs (no leading comma) ending with one named `result_cte`, with the same columns
  as appended_changes (change_seq continues from the anchor's, from 0 without one).
#}
{% macro reread_changes_ctes(writes, new_writes, cutoffs, anchors, split_runs, pair_firsts, result_cte) -%}
{%- set pair = ['group_id', 'group_type', 'trait_key'] -%}
{%- set in_range -%}
    not {{ grouplake.lww_precedes('{a}', 'p') }}
    and (p.to_event_at is null or {{ grouplake.lww_precedes('{a}', 'p', 'to_') }})
{%- endset -%}
{{ result_cte }}__ranges as (

    -- the split runs: from the run's change (event_at, ...) to the next change (to_event_at,
    -- ...; null: to the end)
    select
        group_type, group_id, trait_key, anchor_seq, event_at, received_at, batch_id, source_line,
        to_event_at, to_received_at, to_batch_id, to_source_line, false as is_new_pair
    from {{ split_runs }}

    union all

    -- the pairs without an anchor: every write (no bound)
    select
        c.group_type, c.group_id, c.trait_key, null, null, null, null, null, null, null, null, null,
        not exists (
            select 1 from {{ pair_firsts }}__history as h
            where {{ grouplake.columns_equal('h', 'c', pair) }}
        ) as is_new_pair
    from {{ cutoffs }} as c
    left join {{ anchors }} as a
        on {{ grouplake.columns_equal('c', 'a', pair) }}
    where a.group_id is null

),

{{ result_cte }}__writes as (

    select w.*
    from (
        -- narrowed to the ranges' groups first: a semi join with the few ranges on the build
        -- side, where a plain join may hash the whole writes table. `distinct` keeps it there:
        -- without it DuckDB estimated the ranges (joins of CTEs) at billions of rows and hashed
        -- the writes table instead (2.5 GiB and 1 s more on the 1M +1% build)
        select *
        from {{ writes }}
        where group_id in (
            select distinct group_id from {{ result_cte }}__ranges where not is_new_pair
        )
    ) as w
    inner join {{ result_cte }}__ranges as p
        on {{ grouplake.columns_equal('w', 'p', pair) }}
    where not p.is_new_pair
      and {{ in_range | replace('{a}', 'w') }}

    union all

    -- a new pair has no older write
    select w.*
    from {{ new_writes }} as w
    inner join {{ result_cte }}__ranges as p
        on {{ grouplake.columns_equal('w', 'p', pair) }}
    where p.is_new_pair

),

{{ result_cte }}__null_writes as (

    -- the null writes that may clear those pairs: their groups' nulls
    select w.*
    from {{ writes }} as w
    where w.value_type = 'null'
      and w.group_id in (select distinct group_id from {{ result_cte }}__ranges)

),

{{ result_cte }}__firsts as (

    select f.*
    from {{ pair_firsts }} as f
    where exists (
        select 1 from {{ result_cte }}__ranges as p
        where {{ grouplake.columns_equal('f', 'p', pair) }}
    )

),

{{ grouplake.trait_changes_ctes(
    result_cte ~ '__writes', result_cte ~ '__null_writes', result_cte ~ '__changes',
    leaf_firsts=result_cte ~ '__firsts') }},

{{ result_cte }} as (

    select
        {{ grouplake.change_as_run('r') }},
        coalesce(p.anchor_seq - 1, 0) as change_seq_offset
    from {{ result_cte }}__changes as r
    inner join {{ result_cte }}__ranges as p
        on {{ grouplake.columns_equal('r', 'p', pair) }}
    -- clears outside the ranges are derived too (the null writes are not filtered per pair)
    where {{ in_range | replace('{a}', 'r') }}

)
{%- endmacro %}
