{# ---- an empty JSON object ------------------------------------------------------------- #}
{% macro json_empty_object() %}{{ as_json("'{}'") }}{% endmacro %}
