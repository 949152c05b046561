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
  A key of lower-case ASCII letters and digits in `_`-separated words (`plan`, `created_at`) is
  its own canonical key: the steps above leave it unchanged, so it is returned as is after one
  match instead of four replacements.
#}
{% macro canonical_trait_key(expr) -%}
    {%- set step1 = regexp_replace_all(expr, '(\\p{Lu}+)(\\p{Lu}\\p{Ll})', '\\1_\\2') -%}
    {%- set step2 = regexp_replace_all(step1, '(\\p{Ll}|\\p{N})(\\p{Lu})', '\\1_\\2') -%}
    {%- set step4 = regexp_replace_all(grouplake.lower_text(step2), '[^\\p{L}\\p{N}]+', '_') -%}
    {%- set step5 = regexp_replace_all(step4, '^_+|_+$', '') -%}
    {#- a key that is already canonical (most are) skips the four replacements -#}
    case
        when {{ grouplake.regexp_full_match(expr, '[a-z0-9]+(_[a-z0-9]+)*') }} then {{ expr }}
        else coalesce(nullif({{ step5 }}, ''), '_')
    end
{%- endmacro %}
