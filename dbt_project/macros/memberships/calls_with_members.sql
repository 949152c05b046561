{#
  The member of each Group call (a join) and Relationship Deleted call (a leave) of `calls`:
  the userId when the call has one; else the user its anonymous id was stitched to
  (`anonymous_user_map`, int_anonymous_user_map); else the anonymous id itself. Calls with
  neither id are trait-only updates and have no member (left out). Renders a query with the
  columns of `calls` plus member_type ('user' or 'anonymous'), member_id and member_user_id
  (null for an anonymous member).
#}
{% macro calls_with_members(calls, anonymous_user_map) -%}
    select
        s.*,
        case when coalesce(s.user_id, m.user_id) is not null then 'user' else 'anonymous' end as member_type,
        coalesce(s.user_id, m.user_id, s.anonymous_id) as member_id,
        coalesce(s.user_id, m.user_id) as member_user_id
    from {{ calls }} as s
    left join {{ anonymous_user_map }} as m
        on s.user_id is null
        and s.anonymous_id = m.anonymous_id
    where s.event_kind in ('group', 'relationship_deleted')
      and (s.user_id is not null or s.anonymous_id is not null)
{%- endmacro %}
