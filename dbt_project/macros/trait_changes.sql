{#
  The last-write-wins input of the trait history, shared by the view int_group_trait_changes
  (over every write) and by the incremental run of group_trait_history (over the writes of the
  (group, trait) pairs it recomputes only, so the joins and windows below never run over the
  whole history on an incremental build).

  Renders CTE definitions (a leading comma is not included; put it after the caller's CTEs)
  ending with a CTE named `result_cte`. Inputs are names of CTEs/relations with the columns
  of int_group_trait_writes:
    - writes:        the explicit writes to turn into changes (one row per event and trait key)
    - parent_clears: the null writes that may clear leaves of `writes` (value_type = 'null');
                     every null write of a group whose leaves are in `writes` must be there.

  A null at a parent key (`"address": null`) is a write of null to `address` itself and a
  clear of every leaf under `address.` that the group had written *before* that event (in
  last-write-wins order): each such leaf gets a null write at the clearing event's position.
  Leaves first written after the clear are not touched. When the same event both clears a
  parent and writes a leaf under it (`{"address": null, "Address": {"city": "Oslo"}}`), the
  explicit leaf write wins.
#}
{% macro trait_changes_ctes(writes, parent_clears, result_cte) -%}
{%- set max_depth = var('grouplake_trait_max_depth', 4) | int %}
{{ result_cte }}__leaf_ancestors as (

    -- every nested leaf write once per parent path above it: address.geo.lat -> address, address.geo
    -- (canonical key segments never contain `.`, so splitting on it is safe)
    {% for k in range(1, max_depth) %}
    select
        group_id, trait_key, event_at, received_at, batch_id, source_line,
        {% set parts = [] -%}
        {%- for i in range(1, k + 1) -%}
            {%- if not loop.first %}{% do parts.append("'.'") %}{% endif -%}
            {%- do parts.append(dbt.split_part('trait_key', "'.'", i)) -%}
        {%- endfor -%}
        {{ dbt.concat(parts) if parts | length > 1 else parts[0] }} as ancestor_key
    from {{ writes }}
    where depth > {{ k }}
    {% if not loop.last %}union all{% endif %}
    {% else %}
    select group_id, trait_key, event_at, received_at, batch_id, source_line, trait_key as ancestor_key
    from {{ writes }}
    where 1 = 0
    {% endfor %}

),

{{ result_cte }}__cleared_leaves as (

    -- leaves under a cleared parent that were written earlier in the group's history
    select distinct
        c.message_id,
        c.group_id,
        a.trait_key,
        c.original_key,
        c.event_at,
        c.received_at,
        c.batch_id,
        c.source_line
    from {{ parent_clears }} as c
    inner join {{ result_cte }}__leaf_ancestors as a
        on a.group_id = c.group_id
        and a.ancestor_key = c.trait_key
        and {{ grouplake.lww_precedes('a', 'c') }}
    where c.value_type = 'null'

),

{{ result_cte }}__all_writes as (

    select
        message_id, group_id, trait_key, original_key, value, value_text, value_type,
        case when value_type = 'null' then 'null' else 'value' end as write_kind,
        1 as write_priority,
        event_at, received_at, batch_id, source_line
    from {{ writes }}

    union all

    select
        message_id, group_id, trait_key, original_key,
        cast(null as {{ grouplake.json_data_type() }}) as value,
        cast(null as {{ dbt.type_string() }}) as value_text,
        'null' as value_type,
        'parent_cleared' as write_kind,
        2 as write_priority,
        event_at, received_at, batch_id, source_line
    from {{ result_cte }}__cleared_leaves

),

{{ result_cte }}__ranked as (

    select
        *,
        row_number() over (
            partition by message_id, trait_key
            order by write_priority, original_key desc
        ) as write_rank
    from {{ result_cte }}__all_writes

),

{{ result_cte }} as (

    select
        message_id,
        group_id,
        trait_key,
        original_key,
        value,
        value_text,
        value_type,
        write_kind,
        event_at,
        received_at,
        batch_id,
        source_line
    from {{ result_cte }}__ranked
    where write_rank = 1

)
{%- endmacro %}
