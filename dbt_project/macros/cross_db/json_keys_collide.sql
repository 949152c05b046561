{#
  ---- may two members of a JSON object have equal keys in some form? -----------------------
  A boolean SQL expression, never null: false when the members of the JSON object `json_expr`
  give pairwise different `key_form` (an SQL expression of `key_var`, the name of one member),
  true when two of them give the same one, or where the engine has no cheap way to tell (the
  default): callers treat true as "maybe" and do the exact work for those rows only.
      {{ grouplake.json_keys_collide('p.traits', 'k', 'lower(k)') }}
#}
{% macro json_keys_collide(json_expr, key_var, key_form) %}{{ return(adapter.dispatch('json_keys_collide', 'grouplake')(json_expr, key_var, key_form)) }}{% endmacro %}
{% macro default__json_keys_collide(json_expr, key_var, key_form) %}true{% endmacro %}
{% macro duckdb__json_keys_collide(json_expr, key_var, key_form) -%}
    {#- a NULL form is dropped by list_distinct: it then counts as a collision (true) -#}
    coalesce(
        len(list_distinct(list_transform(json_keys({{ json_expr }}), lambda {{ key_var }}: {{ key_form }})))
            < len(json_keys({{ json_expr }})),
        true
    )
{%- endmacro %}
