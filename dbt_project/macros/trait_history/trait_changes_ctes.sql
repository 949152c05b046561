{#
  The last-write-wins input of the trait history, shared by the view int_group_trait_changes
  (over every write) and by the incremental run of group_trait_history (over the new writes,
  and over the writes of the few pairs it recomputes from the writes table), so the joins
  below never run over the whole history on an incremental build.

  Renders CTE definitions (a leading comma is not included; put it after the caller's CTEs)
  ending with a CTE named `result_cte`. Inputs are names of CTEs/relations:
    - writes:        the explicit writes to turn into changes (columns of
                     int_group_trait_writes, one row per event and trait key)
    - parent_clears: the null writes that may clear leaves (value_type = 'null'); every null
                     write that can clear a leaf of `leaf_firsts` must be there.
    - leaf_firsts:   optional; the (group_type, group_id, trait_key) pairs whose clears are derived, each
                     with the position of its first write ever (event_at, received_at,
                     batch_id, source_line) and its depth. Default: derived from `writes`,
                     which then must hold every write of those pairs.

  A null at a parent key (`"address": null`) is a write of null to `address` itself and a
  clear of every leaf under `address.` that the group had written *before* that event (in
  last-write-wins order): each such leaf gets a null write at the clearing event's position.
  "Written before" is "its first write precedes the clear", so only the first write of each
  leaf is joined with the null writes. Leaves first written after the clear are not touched.
  When the same event both clears a parent and writes a leaf under it
  (`{"address": null, "Address": {"city": "Oslo"}}`), the explicit leaf write wins; two
  clears of one leaf by one event (`address` and `address.geo` both null) keep the greatest
  original key.
#}
{% macro trait_changes_ctes(writes, parent_clears, result_cte, leaf_firsts=none) -%}
{%- set max_depth = var('grouplake_trait_max_depth', 4) | int %}
{%- if leaf_firsts is none %}
{{ result_cte }}__leaf_firsts as (

    -- the first write of every nested leaf (only nested leaves have a parent to clear them)
    {{ grouplake.first_per_pair_in_lww_order(
        writes, 'group_type, group_id, trait_key, depth, event_at, received_at, batch_id, source_line', where='depth > 1') }}

),
{%- set leaf_firsts = result_cte ~ '__leaf_firsts' %}
{%- endif %}

{{ result_cte }}__leaf_ancestors as (

    -- every nested leaf once per parent path above it: address.geo.lat -> address, address.geo
    -- (canonical key segments never contain `.`, so splitting on it is safe)
    {% for k in range(1, max_depth) %}
    select
        group_type, group_id, trait_key, event_at, received_at, batch_id, source_line,
        {% set parts = [] -%}
        {%- for i in range(1, k + 1) -%}
            {%- if not loop.first %}{% do parts.append("'.'") %}{% endif -%}
            {%- do parts.append(dbt.split_part('trait_key', "'.'", i)) -%}
        {%- endfor -%}
        {{ dbt.concat(parts) if parts | length > 1 else parts[0] }} as ancestor_key
    from {{ leaf_firsts }}
    where depth > {{ k }}
    {% if not loop.last %}union all{% endif %}
    {% else %}
    select group_type, group_id, trait_key, event_at, received_at, batch_id, source_line, trait_key as ancestor_key
    from {{ leaf_firsts }}
    where 1 = 0
    {% endfor %}

),

{{ result_cte }}__cleared_leaves as (

    -- leaves under a cleared parent whose first write comes before the clear
    select
        c.message_id,
        c.group_type,
        c.group_id,
        a.trait_key,
        c.original_key,
        c.event_at,
        c.received_at,
        c.batch_id,
        c.source_line,
        row_number() over (
            partition by c.message_id, a.trait_key
            order by c.original_key desc
        ) as clear_rank
    from {{ parent_clears }} as c
    inner join {{ result_cte }}__leaf_ancestors as a
        on a.group_id = c.group_id
        and a.group_type = c.group_type
        and a.ancestor_key = c.trait_key
        and {{ grouplake.lww_precedes('a', 'c') }}
    where c.value_type = 'null'

),

{{ result_cte }}__clearing_events_writes as (

    -- the explicit writes of the clearing events (an explicit leaf write beats the clear)
    select message_id, trait_key
    from {{ writes }}
    where message_id in (select message_id from {{ parent_clears }} where value_type = 'null')

),

{{ result_cte }} as (

    select
        message_id,
        group_type,
        group_id,
        trait_key,
        original_key,
        value,
        value_text,
        value_type,
        case when value_type = 'null' then 'null' else 'value' end as write_kind,
        event_at,
        received_at,
        batch_id,
        source_line
    from {{ writes }}

    union all

    select
        c.message_id,
        c.group_type,
        c.group_id,
        c.trait_key,
        c.original_key,
        cast(null as {{ grouplake.json_data_type() }}) as value,
        cast(null as {{ dbt.type_string() }}) as value_text,
        'null' as value_type,
        'parent_cleared' as write_kind,
        c.event_at,
        c.received_at,
        c.batch_id,
        c.source_line
    from {{ result_cte }}__cleared_leaves as c
    where c.clear_rank = 1
      and not exists (
          select 1
          from {{ result_cte }}__clearing_events_writes as w
          where w.message_id = c.message_id
            and w.trait_key = c.trait_key
      )

)
{%- endmacro %}
