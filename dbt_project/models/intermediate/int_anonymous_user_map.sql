{#
  Identity stitching: which user an anonymous id belongs to.
  An anonymous id seen on any Group call that also carries a userId belongs to that user.
  If one anonymous id was seen with several users, the earliest such call (last-write-wins
  order: event_at, received_at, batch_id, source_line) decides; user_count tells how many.

  A table, built incrementally (delete+insert on anonymous_id): a run recomputes every
  anonymous id seen with a userId in a batch newer than the newest one it holds
  (last_batch_id), from all of that id's calls, so the result equals a full refresh.
#}
{{
    config(
        materialized=grouplake.keyed_incremental_materialization(),
        incremental_strategy='delete_insert_by_keys',
        unique_key='anonymous_id',
        on_schema_change='fail',
    )
}}

{%- set watermark = grouplake.incremental_watermark('last_batch_id') if is_incremental() else none %}
{% if is_incremental() and grouplake.no_rows_after(ref('stg_grouplake__group_events'), 'batch_id', watermark) %}
-- no call newer than this table: nothing to recompute
select * from {{ this }} where 1 = 0
{% else %}
with events as (

    select anonymous_id, user_id, event_at, received_at, batch_id, source_line, message_id
    from {{ ref('stg_grouplake__group_events') }}
    where anonymous_id is not null
        and user_id is not null

),

{% if is_incremental() %}
linked_events as (

    -- every linking call of the anonymous ids a new batch linked
    select *
    from events
    where anonymous_id in (
        select anonymous_id
        from events
        where batch_id > {{ watermark }}
    )

),
{% else %}
linked_events as (

    select * from events

),
{% endif %}

linked as (

    select
        anonymous_id,
        user_id,
        event_at,
        message_id,
        row_number() over (
            partition by anonymous_id
            order by {{ grouplake.lww_order_by() }}
        ) as link_rank
    from linked_events

),

per_anonymous_id as (

    select
        anonymous_id,
        count(distinct user_id) as user_count,
        max(batch_id) as last_batch_id
    from linked_events
    group by anonymous_id

)

select
    l.anonymous_id,
    l.user_id,
    l.event_at as first_linked_at,
    l.message_id as first_linked_message_id,
    c.user_count,
    c.last_batch_id
from linked as l
inner join per_anonymous_id as c
    on l.anonymous_id = c.anonymous_id
where l.link_rank = 1
{% endif %}
