{#
  Per membership: its relationship attributes (`traits.relationshipAttributes` of the
  member's Group calls, e.g. {"role": "admin"}) as one JSON object, merged key by key with the
  trait rules: canonical keys, the latest call that contains a key sets it (last-write-wins
  order), an explicit null clears it (the key is left out), an absent key keeps its value; two
  spellings in one call: the greatest original key wins. Values are replaced whole (nested
  objects are not split). `joins`: the members' Group calls with a relationship_attributes
  column. Result columns: the membership key, attributes.
#}
{% macro membership_attributes_ctes(joins, result_cte) -%}
{{ result_cte }}__writes as (

    select
        j.group_type, j.group_id, j.member_type, j.member_id,
        {{ grouplake.canonical_trait_key('a.key') }} as attribute_key,
        a.key as original_key,
        a.value as value,
        {{ grouplake.json_value_type('a.value') }} as value_type,
        {{ grouplake.json_each_ordinal('a') }} as member_ordinal,
        j.event_at, j.received_at, j.batch_id, j.source_line
    from (select * from {{ joins }} where relationship_attributes is not null) as j
    {{ grouplake.json_each_join('j.relationship_attributes', 'a') }}

),

{{ result_cte }}__latest as (

    select
        *,
        row_number() over (
            partition by group_type, group_id, member_type, member_id, attribute_key
            order by {{ grouplake.lww_order_by(descending=true) }}, original_key desc, member_ordinal desc
        ) as attribute_rank
    from {{ result_cte }}__writes

),

{{ result_cte }} as (

    select
        group_type, group_id, member_type, member_id,
        {{ grouplake.json_object_agg('attribute_key', 'value') }} as attributes
    from {{ result_cte }}__latest
    where attribute_rank = 1
      and value_type <> 'null'
    group by group_type, group_id, member_type, member_id

)
{%- endmacro %}
