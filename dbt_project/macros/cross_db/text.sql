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


{# ---- whole-string regexp match ------------------------------------------------------------ #}
{% macro regexp_full_match(expr, pattern) %}{{ return(adapter.dispatch('regexp_full_match', 'grouplake')(expr, pattern)) }}{% endmacro %}
{% macro default__regexp_full_match(expr, pattern) %}regexp_like({{ expr }}, '^(?:{{ pattern }})$'){% endmacro %}
{% macro duckdb__regexp_full_match(expr, pattern) %}regexp_full_match({{ expr }}, '{{ pattern }}'){% endmacro %}
{% macro spark__regexp_full_match(expr, pattern) %}({{ expr }} rlike '^(?:{{ pattern | replace("\\", "\\\\") }})$'){% endmacro %}


{#
  ---- lower case, one code point at a time ---------------------------------------------------
  DuckDB lowers each code point alone. Java (Spark) applies two context rules of Unicode's
  special casing: a word-final capital sigma becomes `ς` and `İ` (U+0130) becomes `i` + U+0307.
  Spark replaces those two capitals first, so both engines give `σ` and `i`.
#}
{% macro lower_text(expr) %}{{ return(adapter.dispatch('lower_text', 'grouplake')(expr)) }}{% endmacro %}
{% macro default__lower_text(expr) %}lower({{ expr }}){% endmacro %}
{% macro spark__lower_text(expr) %}lower(replace(replace({{ expr }}, 'Σ', 'σ'), 'İ', 'i')){% endmacro %}


{#
  ---- canonical trait key ------------------------------------------------------------------
  Trait names are case- and style-insensitive (SPEC §4). The canonical key is lower snake_case:
    1. split acronym runs before a capitalised word:   HTTPServer -> HTTP_Server
    2. split lower/digit -> upper boundaries:           createdAt  -> created_At
    3. lower-case
    4. every run of characters that are not letters or digits (spaces, dashes, dots, _) -> `_`
    5. trim leading/trailing `_`; a name with no letter or digit at all becomes `_`
  So createdAt, created_at, CreatedAt, "created at", "Created-At" -> created_at;
  postalCode -> postal_code; "total billed" -> total_billed; userID -> user_id.
  One key segment at a time: nested paths are joined with `.` by the caller.
#}
{% macro canonical_trait_key(expr) -%}
    {%- set step1 = regexp_replace_all(expr, '(\\p{Lu}+)(\\p{Lu}\\p{Ll})', '\\1_\\2') -%}
    {%- set step2 = regexp_replace_all(step1, '(\\p{Ll}|\\p{N})(\\p{Lu})', '\\1_\\2') -%}
    {%- set step4 = regexp_replace_all(grouplake.lower_text(step2), '[^\\p{L}\\p{N}]+', '_') -%}
    {%- set step5 = regexp_replace_all(step4, '^_+|_+$', '') -%}
    coalesce(nullif({{ step5 }}, ''), '_')
{%- endmacro %}
