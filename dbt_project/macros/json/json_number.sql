{# ---- an integer as a JSON value (for json_object_agg values) ---------------------------- #}
{% macro json_number(expr) %}{{ grouplake.as_json('cast(' ~ expr ~ ' as ' ~ dbt.type_string() ~ ')') }}{% endmacro %}
