{#
  ---- last-write-wins order (SPEC §4) -------------------------------------------------------
  Writes are ordered by event_at, then received_at (a missing received_at first), then load
  order: batch_id, source_line. (batch_id, source_line) is unique per event, so the order is total.
#}
{% macro lww_order_by(alias=none, descending=false) -%}
    {%- set p = (alias ~ '.') if alias else '' -%}
    {%- if descending -%}
    {{ p }}event_at desc, {{ p }}received_at desc nulls last, {{ p }}batch_id desc, {{ p }}source_line desc
    {%- else -%}
    {{ p }}event_at, {{ p }}received_at nulls first, {{ p }}batch_id, {{ p }}source_line
    {%- endif -%}
{%- endmacro %}
