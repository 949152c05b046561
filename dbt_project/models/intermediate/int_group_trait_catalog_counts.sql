{#
  The trait writes counted per (group_type, trait_key, original_key, value_type): how many
  writes, first and last event_at. The input of the mart group_trait_catalog, small enough to
  aggregate on every build.

  Counts only grow (the writes are appended), so it is built incrementally (delete+insert on
  the four columns, strategy delete_insert_by_keys): a run counts the writes of batches newer
  than the newest one it holds (last_batch_id) and adds them to the rows it already has.
#}
{{
    config(
        materialized=grouplake.keyed_incremental_materialization(),
        incremental_strategy='delete_insert_by_keys',
        unique_key=['group_type', 'trait_key', 'original_key', 'value_type'],
        on_schema_change='fail',
    )
}}

{%- set key = ['group_type', 'trait_key', 'original_key', 'value_type'] %}
{%- set watermark = grouplake.incremental_watermark('last_batch_id') if is_incremental() else none %}
{% if is_incremental() and grouplake.no_rows_after(ref('int_group_trait_writes'), 'batch_id', watermark) %}
-- no write newer than this table: nothing to count
select * from {{ this }} where 1 = 0
{% else %}

with new_counts as (

    select
        {{ key | join(', ') }},
        cast(count(*) as {{ dbt.type_bigint() }}) as write_count,
        min(event_at) as first_seen_at,
        max(event_at) as last_seen_at,
        max(batch_id) as last_batch_id
    from {{ ref('int_group_trait_writes') }}
    {% if is_incremental() %}
    where batch_id > {{ watermark }}
    {% endif %}
    group by {{ key | join(', ') }}

)

{% if is_incremental() %}
select
    {% for c in key %}n.{{ c }}, {% endfor %}
    n.write_count + coalesce(o.write_count, 0) as write_count,
    case when o.first_seen_at < n.first_seen_at then o.first_seen_at else n.first_seen_at end as first_seen_at,
    case when o.last_seen_at > n.last_seen_at then o.last_seen_at else n.last_seen_at end as last_seen_at,
    n.last_batch_id
from new_counts as n
left join {{ this }} as o
    on {% for c in key %}n.{{ c }} = o.{{ c }}{% if not loop.last %} and {% endif %}{% endfor %}
{% else %}
select * from new_counts
{% endif %}
{% endif %}
