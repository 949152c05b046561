{#
  ---- json_each: one row per member of a JSON object ----------------------------------
  Renders a FROM-clause fragment to put right after a table alias:
      from events e {{ json_each_join('e.traits', 'j') }}
  and exposes j.key (original member name) and j.value (JSON value of the member).
  Non-object inputs give no rows on DuckDB (callers only pass objects anyway).
#}
{% macro json_each_join(json_expr, alias) %}{{ return(adapter.dispatch('json_each_join', 'grouplake')(json_expr, alias)) }}{% endmacro %}
{% macro default__json_each_join(json_expr, alias) %}
    cross join lateral json_each({{ json_expr }}) as {{ alias }}
{% endmacro %}
{% macro duckdb__json_each_join(json_expr, alias) %}
    cross join json_each({{ json_expr }}) as {{ alias }}
{% endmacro %}
{% macro spark__json_each_join(json_expr, alias) %}
    {#- Two parses of the object: as map<string,string> (the text of each member: strings
        unquoted, numbers as Java prints them, objects and arrays re-serialised compactly in
        document order) and as map<string,variant> (tells strings from other values). A key
        sent twice gives two entries in both maps, in the same order. -#}
    lateral view inline(
        transform(
            zip_with(
                map_entries(from_json({{ json_expr }}, 'map<string,string>')),
                map_values(from_json({{ json_expr }}, 'map<string,variant>')),
                (gl_member, gl_variant) -> named_struct(
                    'key', gl_member.key,
                    'value', {{ grouplake.spark_member_json('gl_member.value', 'gl_variant') }}
                )
            ),
            (gl_pair, gl_pos) -> named_struct('key', gl_pair.key, 'value', gl_pair.value, 'ordinal', gl_pos)
        )
    ) {{ alias }} as key, value, ordinal
{% endmacro %}
{% macro trino__json_each_join(json_expr, alias) %}
    cross join unnest(cast(json_parse({{ json_expr }}) as map(varchar, json))) as {{ alias }}_raw (key, json_member)
    cross join lateral (
        select {{ alias }}_raw.key as key, json_format({{ alias }}_raw.json_member) as value
    ) as {{ alias }}
{% endmacro %}
