-- group_traits_latest holds exactly the current rows of group_trait_history. A property of each
-- (group, trait): an incremental build checks the (group, trait) pairs it may have changed (the
-- same pairs on both sides).
with latest as (
    select group_type, group_id, trait_key from {{ ref('group_traits_latest') }}
    where {{ grouplake.changed_rows(ref('group_traits_latest')) }}
),

current_history as (
    select group_type, group_id, trait_key from {{ ref('group_trait_history') }}
    where is_current and {{ grouplake.changed_rows(ref('group_trait_history')) }}
),

only_in_latest as (
    select * from latest
    except
    select * from current_history
),

only_in_history as (
    select * from current_history
    except
    select * from latest
)

select 'only in group_traits_latest' as problem, * from only_in_latest
union all
select 'only in group_trait_history' as problem, * from only_in_history
