-- A repeated identical value is not a change: consecutive history rows of one trait always differ,
-- and each row's valid_to is the next row's valid_from. A property of each (group, trait): an
-- incremental build checks the groups it may have changed (macros/test_scope/changed_rows.sql).
with h as (
    -- only the columns the check reads (the window sorts what it carries)
    select
        group_type,
        group_id,
        trait_key,
        change_seq,
        value,
        value_type,
        valid_from,
        valid_to,
        lag({{ grouplake.json_to_text('value') }})
            over (partition by group_type, group_id, trait_key order by change_seq)
            as prev_value,
        lag(value_type) over (partition by group_type, group_id, trait_key order by change_seq) as prev_type,
        lead(valid_from) over (partition by group_type, group_id, trait_key order by change_seq) as next_valid_from
    from {{ ref('group_trait_history') }}
    where {{ grouplake.changed_rows(ref('group_trait_history')) }}
)

select *
from h
where (
    change_seq > 1
    and not {{ grouplake.is_distinct_from(grouplake.json_to_text('value'), 'prev_value') }}
    and value_type = prev_type
)
or {{ grouplake.is_distinct_from('valid_to', 'next_valid_from') }}
