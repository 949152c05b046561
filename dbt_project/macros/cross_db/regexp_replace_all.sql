{#
  Text helpers behind adapter.dispatch. Regular expressions use Unicode classes
  (\p{Lu} upper-case letter, \p{Ll} lower-case letter, \p{L} letter, \p{N} digit), which
  RE2 (DuckDB), Java (Spark) and Joni (Trino) all understand.
#}
{# ---- global regexp replace; backrefs written as \1 in `replacement` ------------------- #}
{% macro regexp_replace_all(expr, pattern, replacement) %}{{ return(adapter.dispatch('regexp_replace_all', 'grouplake')(expr, pattern, replacement)) }}{% endmacro %}
{% macro default__regexp_replace_all(expr, pattern, replacement) -%}
    {#- Java-style engines: $1 backrefs, all matches replaced by default -#}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement | replace("\\", "$") }}')
{%- endmacro %}
{% macro duckdb__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}
{% macro spark__regexp_replace_all(expr, pattern, replacement) -%}
    {#- Spark string literals process backslash escapes: double them -#}
    regexp_replace({{ expr }}, '{{ pattern | replace("\\", "\\\\") }}', '{{ replacement | replace("\\", "$") }}')
{%- endmacro %}
