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


{# ---- text -> JSON value (no validation) -------------------------------------------- #}
{% macro as_json(expr) %}{{ return(adapter.dispatch('as_json', 'grouplake')(expr)) }}{% endmacro %}
{% macro default__as_json(expr) %}{{ expr }}{% endmacro %}
{% macro duckdb__as_json(expr) %}cast({{ expr }} as json){% endmacro %}
{% macro spark__as_json(expr) %}{{ expr }}{% endmacro %}


{# ---- JSON value -> its text ---------------------------------------------------------- #}
{% macro json_to_text(expr) %}{{ return(adapter.dispatch('json_to_text', 'grouplake')(expr)) }}{% endmacro %}
{% macro default__json_to_text(expr) %}{{ expr }}{% endmacro %}
{% macro duckdb__json_to_text(expr) %}cast({{ expr }} as varchar){% endmacro %}
{% macro spark__json_to_text(expr) %}{{ expr }}{% endmacro %}


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

{#
  Spark only: the JSON text of one object member, from its map<string,string> text `text`
  and its variant `variant`: JSON null -> null; strings -> the variant's JSON (quoted and
  escaped as DuckDB does); numbers -> spark_json_number_text(); true/false, objects and arrays
  -> the text (numbers inside objects and arrays stay as Java prints them).
#}
{% macro spark_member_json(text, variant) -%}
    case
        when {{ text }} is null then 'null'
        when schema_of_variant({{ variant }}) = 'STRING' then to_json({{ variant }})
        when {{ text }} rlike '^-?[0-9]' then {{ grouplake.spark_json_number_text(text) }}
        else {{ text }}
    end
{%- endmacro %}

{#
  Spark only: a number as Spark's JSON reader gives it back (integers as sent; other numbers
  as Java's Double.toString: plain from 1e-3 to 1e7, else `1.2345E7`) -> the text DuckDB
  writes: integers as sent; plain decimals from 1e-6 up to 1e21 (a `.0` when integral);
  outside that range `<digits>e<exponent>` (`1e21`, `1.5e-7`).
#}
{% macro spark_json_number_text(text) -%}
    {%- set sci = "'^(-?)([0-9])[.]([0-9]*)E(-?[0-9]+)$'" -%}
    {%- set sign = 'regexp_extract(' ~ text ~ ', ' ~ sci ~ ', 1)' -%}
    {%- set lead = 'regexp_extract(' ~ text ~ ', ' ~ sci ~ ', 2)' -%}
    {%- set frac = "regexp_replace(regexp_extract(" ~ text ~ ", " ~ sci ~ ", 3), '0+$', '')" -%}
    {%- set exp = 'cast(regexp_extract(' ~ text ~ ', ' ~ sci ~ ', 4) as int)' -%}
    {%- set digits = 'concat(' ~ lead ~ ', ' ~ frac ~ ')' -%}
    case
        when {{ text }} not like '%E%' then {{ text }}
        when {{ exp }} >= 21 or {{ exp }} < -6
            then concat({{ sign }}, {{ lead }}, case when {{ frac }} = '' then '' else concat('.', {{ frac }}) end,
                        'e', cast({{ exp }} as string))
        when {{ exp }} < 0
            then concat({{ sign }}, '0.', repeat('0', -{{ exp }} - 1), {{ digits }})
        when length({{ digits }}) <= {{ exp }} + 1
            then concat({{ sign }}, {{ digits }}, repeat('0', {{ exp }} + 1 - length({{ digits }})), '.0')
        else concat({{ sign }}, substr({{ digits }}, 1, {{ exp }} + 1), '.', substr({{ digits }}, {{ exp }} + 2))
    end
{%- endmacro %}

{% macro trino__json_each_join(json_expr, alias) %}
    cross join unnest(cast(json_parse({{ json_expr }}) as map(varchar, json))) as {{ alias }}_raw (key, json_member)
    cross join lateral (
        select {{ alias }}_raw.key as key, json_format({{ alias }}_raw.json_member) as value
    ) as {{ alias }}
{% endmacro %}


{# position of a json_each member in its document (tie-break for a key sent twice); 0 where unknown #}
{% macro json_each_ordinal(alias) %}{{ return(adapter.dispatch('json_each_ordinal', 'grouplake')(alias)) }}{% endmacro %}
{% macro default__json_each_ordinal(alias) %}0{% endmacro %}
{% macro duckdb__json_each_ordinal(alias) %}{{ alias }}.id{% endmacro %}
{% macro spark__json_each_ordinal(alias) %}{{ alias }}.ordinal{% endmacro %}


{# ---- the JSON type of a JSON value: object|array|string|number|boolean|null ------------ #}
{% macro json_value_type(expr) %}{{ return(adapter.dispatch('json_value_type', 'grouplake')(expr)) }}{% endmacro %}

{% macro default__json_value_type(expr) -%}
    {#- from the first character of the compact JSON text -#}
    case
        when {{ expr }} is null or {{ expr }} = 'null' then 'null'
        when {{ expr }} in ('true', 'false') then 'boolean'
        when substr({{ expr }}, 1, 1) = '{' then 'object'
        when substr({{ expr }}, 1, 1) = '[' then 'array'
        when substr({{ expr }}, 1, 1) = '"' then 'string'
        else 'number'
    end
{%- endmacro %}

{% macro duckdb__json_value_type(expr) -%}
    case json_type({{ expr }})
        when 'OBJECT' then 'object'
        when 'ARRAY' then 'array'
        when 'VARCHAR' then 'string'
        when 'BOOLEAN' then 'boolean'
        when 'NULL' then 'null'
        when 'BIGINT' then 'number'
        when 'UBIGINT' then 'number'
        when 'HUGEINT' then 'number'
        when 'DOUBLE' then 'number'
    end
{%- endmacro %}

{% macro spark__json_value_type(expr) %}{{ grouplake.default__json_value_type(expr) }}{% endmacro %}


{#
  ---- scalar JSON value -> text -----------------------------------------------------------
  strings unquoted, numbers and booleans as written, JSON null -> SQL NULL,
  arrays and objects -> their JSON text.
#}
{% macro json_scalar_text(expr) %}{{ return(adapter.dispatch('json_scalar_text', 'grouplake')(expr)) }}{% endmacro %}

{% macro default__json_scalar_text(expr) -%}
    case
        when {{ expr }} = 'null' then null
        when substr({{ expr }}, 1, 1) = '"' then get_json_object({{ expr }}, '$')
        else {{ expr }}
    end
{%- endmacro %}

{% macro duckdb__json_scalar_text(expr) -%}
    json_extract_string({{ expr }}, '$')
{%- endmacro %}

{% macro spark__json_scalar_text(expr) %}{{ grouplake.default__json_scalar_text(expr) }}{% endmacro %}

{% macro trino__json_scalar_text(expr) -%}
    coalesce(json_extract_scalar(json_parse({{ expr }}), '$'),
             case when {{ expr }} <> 'null' then {{ expr }} end)
{%- endmacro %}


{# ---- member of a JSON object as text (json_extract_scalar(json, '$.key')) -------------- #}
{% macro json_extract_scalar(json_expr, key) %}{{ return(adapter.dispatch('json_extract_scalar', 'grouplake')(json_expr, key)) }}{% endmacro %}
{% macro default__json_extract_scalar(json_expr, key) %}get_json_object({{ json_expr }}, '$.{{ key }}'){% endmacro %}
{% macro duckdb__json_extract_scalar(json_expr, key) %}json_extract_string({{ json_expr }}, '$.{{ key }}'){% endmacro %}
{% macro spark__json_extract_scalar(json_expr, key) %}get_json_object({{ json_expr }}, '$.{{ key }}'){% endmacro %}
{% macro trino__json_extract_scalar(json_expr, key) %}json_extract_scalar(json_parse({{ json_expr }}), '$.{{ key }}'){% endmacro %}


{#
  ---- aggregate (key, JSON value) pairs into one JSON object, keys sorted ----------------
  Used as an aggregate function: select group_id, {{ json_object_agg('k', 'v') }} ... group by group_id
#}
{% macro json_object_agg(key_expr, value_expr) %}{{ return(adapter.dispatch('json_object_agg', 'grouplake')(key_expr, value_expr)) }}{% endmacro %}

{% macro default__json_object_agg(key_expr, value_expr) -%}
    json_objectagg({{ key_expr }} value {{ value_expr }} format json)
{%- endmacro %}

{% macro duckdb__json_object_agg(key_expr, value_expr) -%}
    to_json(map_from_entries(list(struct_pack(k := {{ key_expr }}, v := {{ value_expr }}) order by {{ key_expr }})))
{%- endmacro %}

{% macro spark__json_object_agg(key_expr, value_expr) -%}
    {#- the values are JSON text already: join them by hand, keys quoted and escaped by to_json -#}
    concat('{', array_join(transform(
        array_sort(collect_list(named_struct('k', {{ key_expr }}, 'v', {{ value_expr }}))),
        gl_kv -> concat(substr(to_json(array(gl_kv.k)), 2, length(to_json(array(gl_kv.k))) - 2), ':', gl_kv.v)
    ), ','), '}')
{%- endmacro %}

{% macro trino__json_object_agg(key_expr, value_expr) -%}
    json_format(cast(map_agg({{ key_expr }}, json_parse({{ value_expr }})) as json))
{%- endmacro %}


{# ---- an empty JSON object ------------------------------------------------------------- #}
{% macro json_empty_object() %}{{ as_json("'{}'") }}{% endmacro %}


{#
  ---- the JSON value at a path of a JSON document (objects and arrays kept as JSON) --------
  `path` is a dotted member path without `$.` (`objectTypeId`, `properties.objectTypeId`);
  null when the member is absent.
#}
{% macro json_extract_path(json_expr, path) %}{{ return(adapter.dispatch('json_extract_path', 'grouplake')(json_expr, path)) }}{% endmacro %}
{% macro default__json_extract_path(json_expr, path) %}get_json_object({{ json_expr }}, '$.{{ path }}'){% endmacro %}
{% macro duckdb__json_extract_path(json_expr, path) %}json_extract({{ json_expr }}, '$.{{ path }}'){% endmacro %}
{% macro spark__json_extract_path(json_expr, path) -%}
    {#- down the path through the members' text (map<string,string>), then the last member as
        json_each_join gives it; NULL when a member on the way is absent -#}
    {%- set parts = path.split('.') -%}
    {%- set ns = namespace(doc=json_expr) -%}
    {%- for part in parts[:-1] -%}
        {%- set ns.doc = "try_element_at(from_json(" ~ ns.doc ~ ", 'map<string,string>'), '" ~ part ~ "')" -%}
    {%- endfor -%}
    {%- set last = parts[-1] -%}
    case
        when map_contains_key(from_json({{ ns.doc }}, 'map<string,string>'), '{{ last }}')
        then {{ grouplake.spark_member_json(
            "try_element_at(from_json(" ~ ns.doc ~ ", 'map<string,string>'), '" ~ last ~ "')",
            "try_element_at(from_json(" ~ ns.doc ~ ", 'map<string,variant>'), '" ~ last ~ "')") }}
    end
{%- endmacro %}


{#
  ---- a JSON value used as an id -> text ---------------------------------------------------
  A string as sent (null when blank), a number as its decimal string (an integral number
  without a fraction: 1 and 1.0 both give '1'); null for anything else. (round, not floor:
  Spark's floor returns a bigint and fails on 1e20 in ANSI mode.)
#}
{% macro json_id_text(value) -%}
    {%- set text = grouplake.json_scalar_text(value) -%}
    {%- set num = grouplake.try_cast(text, 'double') -%}
    case {{ grouplake.json_value_type(value) }}
        when 'string' then case when trim({{ text }}) <> '' then {{ text }} end
        when 'number' then
            case
                when abs({{ num }}) < 1e18 and {{ num }} = round({{ num }})
                    then cast(cast({{ num }} as {{ dbt.type_bigint() }}) as {{ dbt.type_string() }})
                else {{ text }}
            end
    end
{%- endmacro %}


{#
  ---- aggregate text values into a JSON array of the distinct values, sorted ---------------
  Used as an aggregate function, like json_object_agg.
#}
{% macro json_array_agg_distinct(expr) %}{{ return(adapter.dispatch('json_array_agg_distinct', 'grouplake')(expr)) }}{% endmacro %}
{% macro default__json_array_agg_distinct(expr) -%}
    json_arrayagg(distinct {{ expr }} order by {{ expr }})
{%- endmacro %}
{% macro duckdb__json_array_agg_distinct(expr) -%}
    to_json(list(distinct {{ expr }} order by {{ expr }}))
{%- endmacro %}
{% macro spark__json_array_agg_distinct(expr) -%}
    to_json(array_sort(collect_set({{ expr }})))
{%- endmacro %}


{# ---- an integer as a JSON value (for json_object_agg values) ---------------------------- #}
{% macro json_number(expr) %}{{ grouplake.as_json('cast(' ~ expr ~ ' as ' ~ dbt.type_string() ~ ')') }}{% endmacro %}
