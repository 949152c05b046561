{#
  The trait columns of the mart groups, from the current traits of its groups (`latest`: rows
  of group_traits_latest). Renders CTEs (no leading comma) ending with one named `result_cte`:
  per (group_type, group_id) with at least one trait, the typed columns of the reserved traits
  (reserved_group_traits), trait_count (traits held, cleared ones included) and `traits`, the
  current non-null traits as one JSON object (null when every trait is cleared).
#}
{% macro group_trait_columns_ctes(latest, result_cte) -%}
{{ result_cte }}__typed as (

    select
        group_type,
        group_id,
        {{ grouplake.reserved_group_trait_aggregates() }},
        count(*) as trait_count
    from {{ latest }}
    group by group_type, group_id

),

{{ result_cte }}__objects as (

    select group_type, group_id, {{ grouplake.json_object_agg('trait_key', 'value') }} as traits
    from {{ latest }}
    where not is_null
    group by group_type, group_id

),

{{ result_cte }} as (

    select t.*, o.traits
    from {{ result_cte }}__typed as t
    left join {{ result_cte }}__objects as o
        on {{ grouplake.columns_equal('t', 'o', ['group_id', 'group_type']) }}

)
{%- endmacro %}
