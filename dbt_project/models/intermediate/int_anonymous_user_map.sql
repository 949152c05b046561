{#
  Identity stitching: which user an anonymous id belongs to.
  An anonymous id seen on any Group call that also carries a userId belongs to that user.
  If one anonymous id was seen with several users, the earliest such call (last-write-wins
  order: event_at, received_at, batch_id, source_line) decides; user_count tells how many.
#}
with linked as (

    select
        anonymous_id,
        user_id,
        event_at,
        message_id,
        row_number() over (
            partition by anonymous_id
            order by {{ grouplake.lww_order_by() }}
        ) as link_rank
    from {{ ref('stg_grouplake__group_events') }}
    where anonymous_id is not null
      and user_id is not null

),

user_counts as (

    select anonymous_id, count(distinct user_id) as user_count
    from linked
    group by anonymous_id

)

select
    l.anonymous_id,
    l.user_id,
    l.event_at as first_linked_at,
    l.message_id as first_linked_message_id,
    c.user_count
from linked as l
inner join user_counts as c
    on l.anonymous_id = c.anonymous_id
where l.link_rank = 1
