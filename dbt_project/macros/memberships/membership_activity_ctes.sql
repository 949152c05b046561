{#
  Per membership (group_type, group_id, member_type, member_id): its activity over its joins
  (`joins`: the members' Group calls, from calls_with_members). Renders CTEs (no leading comma)
  ending with one named `result_cte`: the membership key, user_id, anonymous_id (the first
  anonymous id the member used in the group, in last-write-wins order), anonymous_id_count,
  first_seen_at, last_seen_at, event_count, last_batch_id.
#}
{% macro membership_activity_ctes(joins, result_cte) -%}
{%- set key = ['group_type', 'group_id', 'member_type', 'member_id'] -%}
{{ result_cte }}__first_anonymous as (

    {{ grouplake.first_in_lww_order(
        joins, key | join(', '), (key + ['anonymous_id']) | join(', '), where='anonymous_id is not null') }}

),

{{ result_cte }}__aggregated as (

    select
        {{ key | join(', ') }},
        max(member_user_id) as user_id,
        min(event_at) as first_seen_at,
        max(event_at) as last_seen_at,
        count(*) as event_count,
        count(distinct anonymous_id) as anonymous_id_count,
        max(batch_id) as last_batch_id
    from {{ joins }}
    group by {{ key | join(', ') }}

),

{{ result_cte }} as (

    select
        {% for c in key %}a.{{ c }}, {% endfor %}
        a.user_id,
        f.anonymous_id,
        a.anonymous_id_count,
        a.first_seen_at,
        a.last_seen_at,
        a.event_count,
        a.last_batch_id
    from {{ result_cte }}__aggregated as a
    left join {{ result_cte }}__first_anonymous as f
        on {{ grouplake.columns_equal('a', 'f', key) }}

)
{%- endmacro %}
