{#
  JSON handling behind adapter.dispatch, so the models hold no engine-specific JSON SQL.

  Conventions used by the models:
  - a "JSON value" is a column of type json_data_type(): DuckDB's JSON type, a JSON text
    string elsewhere. It is always serialised compactly by the engine (no whitespace),
    so equal values compare equal as text.
  - json_value_type() returns one of: object, array, string, number, boolean, null.

  duckdb__ and spark__ implementations are the tested ones (tests/test_spark.py builds every
  mart on both and compares them row for row); trino__ ones are untested translations.

  The JSON text of a value is the text DuckDB writes (the loader stores traits that way):
  compact, members in document order, strings escaped as `\"`, `\\`, `\n`, `\u001F`,
  numbers as written by yyjson (integers as sent, other numbers in their shortest form: plain
  decimals with a `.0` when integral from 1e-6 up to 1e21, else `1e21` / `1.5e-7`). Spark's JSON
  reader turns non-integral numbers into Java doubles (`1.0E7`); spark_json_number_text()
  writes them back in the form above. See docs/models.md ("Other engines") for the few
  differences left.
#}
{# ---- the SQL type of a JSON column ------------------------------------------------ #}
{% macro json_data_type() %}{{ return(adapter.dispatch('json_data_type', 'grouplake')()) }}{% endmacro %}
{% macro default__json_data_type() %}{{ return(dbt.type_string()) }}{% endmacro %}
{% macro duckdb__json_data_type() %}{{ return('json') }}{% endmacro %}
{% macro spark__json_data_type() %}{{ return('string') }}{% endmacro %}
