-- A repeated identical value is not a change: consecutive history rows of one trait always differ,
-- and each row's valid_to is the next row's valid_from. A property of consecutive changes of each
-- (group, trait): an incremental build checks the changes of the pairs it changed from one before
-- the first changed one on (macro changed_history_rows in macros/test_scope/changed_rows.sql).
with h as (
    -- only the columns the check reads (the window sorts what it carries)
    select
        history.group_type,
        history.group_id,
        history.trait_key,
        history.change_seq,
        history.value,
        history.value_type,
        history.valid_from,
        history.valid_to,
        lag({{ grouplake.json_to_text('history.value') }})
            over (partition by history.group_type, history.group_id, history.trait_key order by history.change_seq)
            as prev_value,
        lag(history.value_type)
            over (partition by history.group_type, history.group_id, history.trait_key order by history.change_seq)
            as prev_type,
        lead(history.valid_from)
            over (partition by history.group_type, history.group_id, history.trait_key order by history.change_seq)
            as next_valid_from
    from {{ grouplake.changed_history_rows(ref('group_trait_history')) }} as history
)

select *
from h
where (
    change_seq > 1
    and not {{ grouplake.is_distinct_from(grouplake.json_to_text('value'), 'prev_value') }}
    and value_type = prev_type
)
or {{ grouplake.is_distinct_from('valid_to', 'next_valid_from') }}
