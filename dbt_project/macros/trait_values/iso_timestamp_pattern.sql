{#
  The ISO-8601 text a trait timestamp may be: a date, or a date and a time with seconds,
  optional fraction (up to 9 digits, cut to microseconds) and optional offset (Z, +hh, +hhmm,
  +hh:mm up to 18 hours); `T` or a space between date and time; no surrounding spaces. Both
  engines parse exactly these the same way (DuckDB alone would also take `epoch`,
  `infinity`, zone names and `24:00:00`; Spark alone `2020` or `2020-5-1`).
#}
{% macro iso_timestamp_pattern() -%}
    [0-9]{4}-[0-9]{2}-[0-9]{2}([T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,9})?(Z|[+-](0[0-9]|1[0-7])(:?[0-5][0-9])?|[+-]18(:?00)?)?)?
{%- endmacro %}
