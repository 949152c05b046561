{# true when write `a` comes strictly before write `b` in last-write-wins order, else false
   (never null, so `not lww_precedes(...)` is safe with missing received_at). `b_prefix`: the
   position columns of `b` are named with it (`to_event_at`, ... for b_prefix='to_'). #}
{% macro lww_precedes(a, b, b_prefix='') -%}
    {%- set b = b ~ '.' ~ b_prefix -%}
    coalesce(({{ a }}.event_at < {{ b }}event_at
     or ({{ a }}.event_at = {{ b }}event_at and (
            ({{ a }}.received_at is null and {{ b }}received_at is not null)
         or {{ a }}.received_at < {{ b }}received_at
         or (({{ a }}.received_at = {{ b }}received_at
              or ({{ a }}.received_at is null and {{ b }}received_at is null))
             and ({{ a }}.batch_id < {{ b }}batch_id
                  or ({{ a }}.batch_id = {{ b }}batch_id and {{ a }}.source_line < {{ b }}source_line)))))), false)
{%- endmacro %}
