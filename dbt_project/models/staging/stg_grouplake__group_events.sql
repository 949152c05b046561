{#
  Typed, deduplicated Group calls: one row per message_id.
  The loader already drops duplicates; this is the defensive second line: the first load of a
  message_id (lowest batch_id, then source_line) is kept.
  Blank user/anonymous ids ("" or whitespace) are treated as absent.
#}
with source as (

    select * from {{ source('grouplake', 'group_events') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by message_id
            order by batch_id, source_line
        ) as message_rank
    from source

)

select
    cast(message_id as {{ dbt.type_string() }})                         as message_id,
    cast(message_id_derived as {{ dbt.type_boolean() }})                as message_id_derived,
    cast(group_id as {{ dbt.type_string() }})                           as group_id,
    cast(nullif(trim(user_id), '') as {{ dbt.type_string() }})          as user_id,
    cast(nullif(trim(anonymous_id), '') as {{ dbt.type_string() }})     as anonymous_id,
    cast(event_at as {{ grouplake.timestamp_tz_type() }})               as event_at,
    cast(event_at_source as {{ dbt.type_string() }})                    as event_at_source,
    cast(received_at as {{ grouplake.timestamp_tz_type() }})            as received_at,
    cast(sent_at as {{ grouplake.timestamp_tz_type() }})                as sent_at,
    cast(original_timestamp as {{ grouplake.timestamp_tz_type() }})     as original_timestamp,
    cast(loaded_at as {{ grouplake.timestamp_tz_type() }})              as loaded_at,
    cast(batch_id as {{ dbt.type_bigint() }})                           as batch_id,
    cast(source_file as {{ dbt.type_string() }})                        as source_file,
    cast(source_line as {{ dbt.type_bigint() }})                        as source_line,
    coalesce(traits, {{ grouplake.json_empty_object() }})               as traits,
    context
from ranked
where message_rank = 1
