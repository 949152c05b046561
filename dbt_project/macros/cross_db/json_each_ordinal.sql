{# position of a json_each member in its document (tie-break for a key sent twice); 0 where unknown #}
{% macro json_each_ordinal(alias) %}{{ return(adapter.dispatch('json_each_ordinal', 'grouplake')(alias)) }}{% endmacro %}
{% macro default__json_each_ordinal(alias) %}0{% endmacro %}
{% macro duckdb__json_each_ordinal(alias) %}{{ alias }}.id{% endmacro %}
{% macro spark__json_each_ordinal(alias) %}{{ alias }}.ordinal{% endmacro %}
