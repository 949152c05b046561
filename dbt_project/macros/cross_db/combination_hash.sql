{#
  ---- a fast non-cryptographic hash of several columns, or none -----------------------------
  Equal values (NULLs included) give equal hashes. Renders nothing where there is no cheap
  one; callers then work on the values themselves.
#}
{% macro combination_hash(columns) %}{{ return(adapter.dispatch('combination_hash', 'grouplake')(columns)) }}{% endmacro %}
{% macro default__combination_hash(columns) %}{{ return('') }}{% endmacro %}
{% macro duckdb__combination_hash(columns) %}{{ return('hash(' ~ (columns | join(', ')) ~ ')') }}{% endmacro %}
{% macro spark__combination_hash(columns) %}{{ return('xxhash64(' ~ (columns | join(', ')) ~ ')') }}{% endmacro %}
