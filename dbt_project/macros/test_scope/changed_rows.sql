{#
  Data tests of an incremental build check only the rows the build may have changed.

  State: the table `grouplake_data_tests_passed` beside the staging model holds, per data
  test that passed a *complete* build (every model and data test of the project ran and
  succeeded), the test's fingerprint (its SQL and arguments) and the batch T through which it
  checked the data: the newest raw batch when that build started. A test narrows only when it
  finds its own row with the same fingerprint; on `--full-refresh` (the state is cleared when
  the run starts), with the var grouplake_full_data_tests, on a new or changed test, after a
  failed build and on engines without the state (Spark), it checks the whole table.

  The narrowed scope of each table is in changed_rows_scope below; why each proves the same
  property as the whole table: docs/models.md, "Tests".
#}

{# The `where` of every data test of the project (dbt_project.yml, data_tests: +where). Read as
   SQL it is `1 = 1` (the whole table): that is what it means where grouplake's
   get_where_subquery is not used (grouplake installed as a package). #}
{% macro changed_rows_marker() -%}
    {{- return('/* grouplake: changed rows */ 1 = 1') -}}
{%- endmacro %}


{# dbt's get_where_subquery (it wraps the model of every generic data test in its `where`),
   with the marker replaced by the changed-rows predicate of the tested table. #}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set marker = grouplake.changed_rows_marker() -%}
    {%- if where and marker in where -%}
        {%- set where = where | replace(marker, '(' ~ grouplake.changed_rows(relation) ~ ')') -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}


{# The predicate selecting the rows of `relation` the running data test must check: its changed
   rows since the batch this test last passed through, or `1 = 1` (all rows). #}
{% macro changed_rows(relation) -%}
    {%- set tested = grouplake.tested_batch() if execute else none -%}
    {%- set scope = grouplake.changed_rows_scope(relation, tested) if tested is not none else none -%}
    {{- return(scope if scope else '1 = 1') -}}
{%- endmacro %}


{#
  Per table, the rows that may differ from the table the test last passed on (through batch
  `tested`), closed over the keys its tests compare rows by. None: the whole table.
    - raw.group_events (source): rows are only appended, by batch.
    - stg_grouplake__group_events, int_group_trait_writes: append only, by batch; every row
      of a message_id that has a row from a newer batch (unique keys start with message_id).
    - int_group_trait_catalog_counts, int_anonymous_user_map: delete+insert by key, and every
      row a run writes has last_batch_id from a newer batch; every row of such a trait_key /
      anonymous_id.
    - group_trait_history, group_traits_latest, user_group_memberships, groups: every row of a
      group with a call in a newer batch, or holding a call of an anonymous id that a call in a
      newer batch carries with a user id (it may be stitched anew): the only groups whose rows
      an incremental run can change (docs/models.md, "Incremental runs").
    - group_trait_catalog: rebuilt whole on every run: all rows.
#}
{% macro changed_rows_scope(relation, tested) -%}
    {%- set name = relation.identifier -%}
    {%- set t = tested -%}
    {%- if name == 'group_events' -%}
        {%- set scope = 'batch_id > ' ~ t -%}
    {%- elif name in ('stg_grouplake__group_events', 'int_group_trait_writes') -%}
        {%- set scope = 'message_id in (select message_id from ' ~ relation ~ ' where batch_id > ' ~ t ~ ')' -%}
    {%- elif name == 'int_group_trait_catalog_counts' -%}
        {%- set scope = 'trait_key in (select trait_key from ' ~ relation ~ ' where last_batch_id > ' ~ t ~ ')' -%}
    {%- elif name == 'int_anonymous_user_map' -%}
        {%- set scope = 'anonymous_id in (select anonymous_id from ' ~ relation ~ ' where last_batch_id > ' ~ t ~ ')' -%}
    {%- elif name in ('group_trait_history', 'group_traits_latest', 'user_group_memberships', 'groups') -%}
        {%- set calls = grouplake.data_test_node_relation('stg_grouplake__group_events') -%}
        {%- set scope -%}
            group_id in (
                select group_id from {{ calls }} where batch_id > {{ t }}
                union all
                select group_id from {{ calls }}
                where anonymous_id in (
                    select anonymous_id from {{ calls }}
                    where batch_id > {{ t }} and user_id is not null
                )
            )
        {%- endset -%}
    {%- else -%}
        {%- set scope = none -%}
    {%- endif -%}
    {{- return(scope) -}}
{%- endmacro %}


{# The relation of a model of this project, from the graph (usable in hooks and tests). #}
{% macro data_test_node_relation(model_name) -%}
    {%- set node = graph.nodes['model.grouplake.' ~ model_name] -%}
    {{- return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) -}}
{%- endmacro %}


{# The table holding the data tests' state: beside the staging model. #}
{% macro data_test_state_relation() -%}
    {%- set stg = grouplake.data_test_node_relation('stg_grouplake__group_events') -%}
    {{- return(api.Relation.create(database=stg.database, schema=stg.schema, identifier='grouplake_data_tests_passed')) -}}
{%- endmacro %}


{# What a test checks: its SQL and arguments (a test whose definition changed checks everything once). #}
{% macro data_test_fingerprint(unique_id) -%}
    {%- set node = graph.nodes[unique_id] -%}
    {{- return(local_md5(node.raw_code ~ '|' ~ (node.test_metadata or {}) | tojson ~ '|' ~ (node.config.where or ''))) -}}
{%- endmacro %}


