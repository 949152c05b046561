{#
  Typed, deduplicated calls: one row per message_id, with the fields the models read taken out
  of the JSON columns once (the group type, the relationship attributes, the sender metadata).

  Calls: Group calls (`event_kind` 'group') and the two lifecycle track events the loader
  lands (`relationship_deleted`, `object_deleted`).
  Group type: the top-level `objectTypeId`, else `traits.objectTypeId`, else (lifecycle
  events) `properties.objectTypeId`; a number becomes its decimal string; else the var
  grouplake_default_group_type.
  The loader already drops duplicates; this is the defensive second line: the first load of a
  message_id (lowest batch_id, then source_line) is kept.
  Blank user/anonymous ids ("" or whitespace) are treated as absent.

  A table, built incrementally (append): a run adds the calls of batches newer than the newest
  one it holds whose message_id it does not hold yet, so the JSON is read once per call.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
    )
}}
{{ grouplake.require_warehouse_columns(['group_type', 'event_kind']) }}
{#- a raw table written before the lifecycle events has no event_name: it holds Group calls only -#}
{%- set raw_columns = adapter.get_columns_in_relation(source('grouplake', 'group_events')) if execute else [] -%}
{%- set raw_names = raw_columns | map(attribute='name') | map('lower') | list -%}
{%- set event_name = 'event_name' if not raw_names or 'event_name' in raw_names
                     else 'cast(null as ' ~ dbt.type_string() ~ ')' %}

{%- set watermark = grouplake.incremental_watermark('batch_id') if is_incremental() else none %}
{% if is_incremental() and grouplake.no_rows_after(source('grouplake', 'group_events'), 'batch_id', watermark) %}
-- no raw batch newer than this table: nothing to add
select * from {{ this }} where 1 = 0
{% else %}
with new_calls as (

    -- the ids and load positions of the calls to read
    select message_id, batch_id, source_line
    from {{ source('grouplake', 'group_events') }}
    {% if is_incremental() %}
    where batch_id > {{ watermark }}
    {% endif %}

),

duplicated_ids as (

    select message_id
    from new_calls
    group by message_id
    having count(*) > 1

),

later_loads as (

    -- the loads of a message_id after its first (none unless the loader's dedup was bypassed):
    -- only the ids loaded more than once are ranked, so no window sorts every call
    select batch_id, source_line
    from (
        select
            batch_id,
            source_line,
            row_number() over (partition by message_id order by batch_id, source_line) as message_rank
        from new_calls
        where message_id in (select message_id from duplicated_ids)
    ) as ranked_loads
    where message_rank > 1

),

ranked as (

    -- the first load of each message_id, read once with its JSON columns
    select calls.*
    from (
        select *
        from {{ source('grouplake', 'group_events') }}
        {% if is_incremental() %}
        where batch_id > {{ watermark }}
          and message_id not in (select message_id from {{ this }})
        {% endif %}
    ) as calls
    left join later_loads as l
        on calls.batch_id = l.batch_id and calls.source_line = l.source_line
    where l.batch_id is null

),

extracted as (

    -- the JSON members read below, each taken out of its document once
    select
        *,
        {{ event_name }} as raw_event_name,
        case
            when lower(event_type) = 'group' then 'group'
            when lower(event_type) = 'track' and {{ event_name }} = 'Relationship Deleted' then 'relationship_deleted'
            when lower(event_type) = 'track' and {{ event_name }} = 'Object Deleted' then 'object_deleted'
        end as event_kind,
        {{ grouplake.json_extract_path('extra', 'objectTypeId') }} as top_object_type_id,
        {{ grouplake.json_extract_path('traits', 'objectTypeId') }} as traits_object_type_id,
        {{ grouplake.json_extract_path('extra', 'properties.objectTypeId') }} as properties_object_type_id,
        {{ grouplake.json_extract_path('traits', 'relationshipAttributes') }} as relationship_attributes_value
    from ranked

)

select
    cast(message_id as {{ dbt.type_string() }}) as message_id,
    cast(message_id_derived as {{ dbt.type_boolean() }}) as message_id_derived,
    cast(event_kind as {{ dbt.type_string() }}) as event_kind,
    cast(raw_event_name as {{ dbt.type_string() }}) as event_name,
    cast(coalesce(
        {{ grouplake.json_id_text('top_object_type_id') }},
        {{ grouplake.json_id_text('traits_object_type_id') }},
        {{ grouplake.json_id_text('properties_object_type_id') }},
        '{{ var("grouplake_default_group_type", "default") | replace("'", "''") }}'
    ) as {{ dbt.type_string() }}) as group_type,
    cast(group_id as {{ dbt.type_string() }}) as group_id,
    cast(nullif(trim(user_id), '') as {{ dbt.type_string() }}) as user_id,
    cast(nullif(trim(anonymous_id), '') as {{ dbt.type_string() }}) as anonymous_id,
    cast(event_at as {{ grouplake.timestamp_tz_type() }}) as event_at,
    cast(event_at_source as {{ dbt.type_string() }}) as event_at_source,
    cast(received_at as {{ grouplake.timestamp_tz_type() }}) as received_at,
    cast(sent_at as {{ grouplake.timestamp_tz_type() }}) as sent_at,
    cast(original_timestamp as {{ grouplake.timestamp_tz_type() }}) as original_timestamp,
    cast(loaded_at as {{ grouplake.timestamp_tz_type() }}) as loaded_at,
    cast(batch_id as {{ dbt.type_bigint() }}) as batch_id,
    cast(source_file as {{ dbt.type_string() }}) as source_file,
    cast(source_line as {{ dbt.type_bigint() }}) as source_line,
    coalesce(traits, {{ grouplake.json_empty_object() }}) as traits,
    case
        when {{ grouplake.json_value_type('relationship_attributes_value') }} = 'object'
            then relationship_attributes_value
    end as relationship_attributes,
    cast({{ grouplake.json_extract_scalar('context', 'library.name') }} as {{ dbt.type_string() }}) as library_name,
    cast({{ grouplake.json_extract_scalar('context', 'library.version') }} as {{ dbt.type_string() }})
        as library_version,
    cast(coalesce(
        {{ grouplake.json_extract_scalar('context', 'channel') }},
        {{ grouplake.json_extract_scalar('extra', 'channel') }}
    ) as {{ dbt.type_string() }}) as channel,
    cast({{ grouplake.json_extract_scalar('extra', 'writeKey') }} as {{ dbt.type_string() }}) as write_key,
    context
from extracted
where event_kind is not null
{% endif %}
