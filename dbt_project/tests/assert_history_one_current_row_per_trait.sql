-- Every (group type, group, trait) in group_trait_history has exactly one current row, and it is the last change.
-- A property of each (group, trait): an incremental build checks the (group, trait) pairs it may have changed.
select
    group_type, group_id, trait_key,
    sum(case when is_current then 1 else 0 end) as current_rows,
    max(change_seq) as last_change,
    max(case when is_current then change_seq end) as current_change
from {{ ref('group_trait_history') }}
where {{ grouplake.changed_rows(ref('group_trait_history')) }}
group by group_type, group_id, trait_key
having
    sum(case when is_current then 1 else 0 end) <> 1
    or max(change_seq) <> max(case when is_current then change_seq end)
    or count(*) <> max(change_seq)
