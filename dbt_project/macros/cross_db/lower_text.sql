{#
  ---- lower case, one code point at a time ---------------------------------------------------
  DuckDB lowers each code point alone. Java (Spark) applies two context rules of Unicode's
  special casing: a word-final capital sigma becomes `ς` and `İ` (U+0130) becomes `i` + U+0307.
  Spark replaces those two capitals first, so both engines give `σ` and `i`.
#}
{% macro lower_text(expr) %}{{ return(adapter.dispatch('lower_text', 'grouplake')(expr)) }}{% endmacro %}
{% macro default__lower_text(expr) %}lower({{ expr }}){% endmacro %}
{% macro spark__lower_text(expr) %}lower(replace(replace({{ expr }}, 'Σ', 'σ'), 'İ', 'i')){% endmacro %}
