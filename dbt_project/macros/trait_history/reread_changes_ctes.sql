{#
  Incremental step of group_trait_history: the pairs with a new change that are not simply
  appended (new pairs, or a new change inside or before the existing history), recomputed from
  their writes at and after the anchor (all of them without an anchor), read again from
  `writes` (int_group_trait_writes) with the clears of their groups' null writes
  (trait_changes_ctes). `cutoffs`: one row per pair with a new change; `anchors`: the
  history_anchors_ctes result; `pair_firsts`: the pair_first_writes_ctes result.
  Renders CTEs (no leading comma) ending with one named `result_cte`, with the same columns
  as appended_changes (change_seq continues from the anchor's, from 0 without one).
#}
{% macro reread_changes_ctes(writes, cutoffs, anchors, pair_firsts, result_cte) -%}
{%- set pair = ['group_id', 'group_type', 'trait_key'] -%}
{{ result_cte }}__pairs as (

    -- the pairs and the position of their anchor (null without one)
    select
        c.group_type,
        c.group_id,
        c.trait_key,
        a.change_seq as anchor_seq,
        a.valid_from as event_at,
        a.received_at,
        a.batch_id,
        a.source_line
    from {{ cutoffs }} as c
    left join {{ anchors }} as a
        on {{ grouplake.columns_equal('c', 'a', pair) }}
    where a.group_id is null
       or not a.run_before_cutoff

),

{{ result_cte }}__writes as (

    select w.*
    from (
        -- narrowed to the pairs' groups first: a semi join with the few pairs on the build
        -- side, where a plain join may hash the whole writes table
        select *
        from {{ writes }}
        where group_id in (select group_id from {{ result_cte }}__pairs)
    ) as w
    inner join {{ result_cte }}__pairs as p
        on {{ grouplake.columns_equal('w', 'p', pair) }}
    where p.anchor_seq is null
       or not {{ grouplake.lww_precedes('w', 'p') }}

),

{{ result_cte }}__null_writes as (

    -- the null writes that may clear those pairs: their groups' nulls
    select w.*
    from {{ writes }} as w
    where w.value_type = 'null'
      and w.group_id in (select group_id from {{ result_cte }}__pairs)

),

{{ result_cte }}__firsts as (

    select f.*
    from {{ pair_firsts }} as f
    inner join {{ result_cte }}__pairs as p
        on {{ grouplake.columns_equal('f', 'p', pair) }}

),

{{ grouplake.trait_changes_ctes(
    result_cte ~ '__writes', result_cte ~ '__null_writes', result_cte ~ '__changes',
    leaf_firsts=result_cte ~ '__firsts') }},

{{ result_cte }} as (

    select
        r.*,
        1 as run_write_count,
        r.event_at as run_last_written_at,
        r.batch_id as run_last_batch_id,
        coalesce(p.anchor_seq - 1, 0) as change_seq_offset
    from {{ result_cte }}__changes as r
    inner join {{ result_cte }}__pairs as p
        on {{ grouplake.columns_equal('r', 'p', pair) }}
    -- clears before the anchor are derived too (the null writes are not filtered per pair)
    where p.anchor_seq is null
       or not {{ grouplake.lww_precedes('r', 'p') }}

)
{%- endmacro %}
