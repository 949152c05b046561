{#
  The reserved Segment group traits (SPEC §4) that the mart `groups` has a typed column for,
  in column order: (column, trait_key, type). Text columns take strings, numbers and booleans
  as text; `employees` is an integer (trait_to_integer); `created_at` a timestamp
  (trait_to_timestamp). A value that does not fit the type gives null (it stays in `traits`).
#}
{% macro reserved_group_traits() -%}
    {%- set traits = [] -%}
    {%- for t in ['name', 'industry', 'plan', 'website', 'email', 'phone', 'avatar', 'description'] -%}
        {%- do traits.append((t, t, 'text')) -%}
    {%- endfor -%}
    {%- do traits.append(('employees', 'employees', 'integer')) -%}
    {%- do traits.append(('created_at', 'created_at', 'timestamp')) -%}
    {%- for t in ['city', 'country', 'postal_code', 'state', 'street'] -%}
        {%- do traits.append(('address_' ~ t, 'address.' ~ t, 'text')) -%}
    {%- endfor -%}
    {{- return(traits) -}}
{%- endmacro %}

{#
  The typed columns of the reserved traits, as aggregates over the current traits of one group
  (rows of group_traits_latest grouped by group_type, group_id), comma-separated.
#}
{% macro reserved_group_trait_aggregates() -%}
    {%- for column, trait_key, type in grouplake.reserved_group_traits() %}
        {%- if type == 'text' %}
        max(case when trait_key = '{{ trait_key }}' and value_type in ('string', 'number', 'boolean')
                 then value_text end) as {{ column }}
        {%- elif type == 'integer' %}
        max(case when trait_key = '{{ trait_key }}'
                 then {{ grouplake.trait_to_integer('value_text', 'value_type') }} end) as {{ column }}
        {%- else %}
        max(case when trait_key = '{{ trait_key }}'
                 then {{ grouplake.trait_to_timestamp('value_text', 'value_type') }} end) as {{ column }}
        {%- endif %}
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}
