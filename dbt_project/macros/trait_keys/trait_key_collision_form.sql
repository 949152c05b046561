{#
  ---- a coarser form of the canonical key, for finding keys that may collide -----------------
  The key lower-cased with every character other than a-z and 0-9 removed. Two keys with the
  same canonical key always have the same collision form (the canonical steps only insert `_`,
  lower-case one code point at a time and turn characters that are not ASCII letters or digits
  into `_` or remove them), so keys whose forms differ never collide. One replacement, not four.
#}
{% macro trait_key_collision_form(expr) -%}
    {{ regexp_replace_all(grouplake.lower_text(expr), '[^a-z0-9]+', '') }}
{%- endmacro %}
