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


{# The `where` of a data test that compares rows by a key (unique tests whose key is not the
   history's (group, trait, change_seq)): it checks the changed rows closed over the keys of the
   table (changed_rows: every row of a changed message_id, or of a changed (group, trait)),
   where changed_rows_marker may check fewer rows (the changed rows themselves: the new batches
   of an append-only table, the changed tail of the history). #}
{% macro changed_keys_marker() -%}
    {{- return('/* grouplake: changed keys */ 1 = 1') -}}
{%- endmacro %}


{# dbt's get_where_subquery (it wraps the model of every generic data test in its `where`),
   with a marker replaced by the changed rows of the tested table: under changed_rows_marker,
   the rows themselves where a table has a narrower set for tests that read each row on its own
   (changed_rows_only), otherwise and under changed_keys_marker the predicate of changed_rows. #}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set marker = grouplake.changed_rows_marker() -%}
    {%- set keys_marker = grouplake.changed_keys_marker() -%}
    {%- if where and marker in where -%}
        {%- set rows = grouplake.changed_rows_only(relation) -%}
        {%- if rows is not none -%}
            {%- do return('(select * from ' ~ rows ~ ' as grouplake_changed where '
                ~ where | replace(marker, '1 = 1') ~ ') dbt_subquery') -%}
        {%- endif -%}
    {%- endif -%}
    {%- if where and (marker in where or keys_marker in where) -%}
        {%- set predicate = '(' ~ grouplake.changed_rows(relation) ~ ')' -%}
        {%- set where = where | replace(marker, predicate) | replace(keys_marker, predicate) -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}


{# The rows of `relation` a data test that reads each row on its own (or, on the history, compares
   changes by change_seq) must check, as a relation to read FROM, where a table has a narrower set
   than changed_rows: the append-only staging and writes tables their rows of newer batches (an
   old row did not change); group_trait_history its changed tail (changed_history_rows). None:
   the table has no narrower set, or the test checks whole tables. #}
{% macro changed_rows_only(relation) -%}
    {%- set tested = grouplake.tested_batch() if execute else none -%}
    {%- if tested is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set name = relation.identifier -%}
    {%- if name == 'group_trait_history' -%}
        {{- return(grouplake.changed_history_rows(relation)) -}}
    {%- elif name in ('stg_grouplake__group_events', 'int_group_trait_writes') -%}
        {{- return('(select * from ' ~ relation ~ ' where batch_id > ' ~ tested ~ ')') -}}
    {%- endif -%}
    {{- return(none) -}}
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
    - group_trait_history, group_traits_latest: every row of a (group_type, group_id,
      trait_key) with a history row folding in a newer batch (last_batch_id): the only pairs an
      incremental run recomputes (each has its earliest new change folded into some row).
    - user_group_memberships, groups: every row of the group ids an incremental run rewrites,
      the rule of the models themselves (macro groups_touched_by_new_calls_ctes, with the
      tested batch as the watermark).
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
    {%- elif name in ('group_trait_history', 'group_traits_latest') -%}
        {%- set history = grouplake.data_test_node_relation('group_trait_history') -%}
        {%- set scope -%}
            (group_type, group_id, trait_key) in (
                select group_type, group_id, trait_key from {{ history }} where last_batch_id > {{ t }}
            )
        {%- endset -%}
    {%- elif name in ('user_group_memberships', 'groups') -%}
        {%- set scope -%}
            group_id in (
                with {{ grouplake.groups_touched_by_new_calls_ctes(
                    grouplake.data_test_node_relation('stg_grouplake__group_events'),
                    grouplake.data_test_node_relation('int_anonymous_user_map'),
                    'grouplake_touched', t) }}
                select group_id from grouplake_touched
            )
        {%- endset -%}
    {%- else -%}
        {%- set scope = none -%}
    {%- endif -%}
    {{- return(scope) -}}
{%- endmacro %}


{#
  The rows of group_trait_history (`relation`) a data test must check when it reads each row
  on its own or compares the changes of a (group_type, group_id, trait_key) by change_seq (the
  one before and after it, or the same change_seq): per pair with a row folding in a batch newer
  than the tested one, its changes from one before the first such row on. A relation to read
  FROM (`{{ grouplake.changed_history_rows(ref('group_trait_history')) }} as history`): the
  table itself when the test checks whole tables (as changed_rows), else a join with the pairs'
  first changed change_seq (a join: a correlated `exists` was planned as a grouping of every row).

  An incremental run replaces a pair's changes from its anchor on, and its earliest new change is
  folded into the anchor or is the change right after it, so every replaced change is in this
  tail, and the anchor keeps its value and valid_from: the change before it and its link to the
  anchor did not move. Rows compared by another key (message_id) may lie before the tail: those
  tests use changed_keys_marker.
#}
{% macro changed_history_rows(relation) -%}
    {%- set tested = grouplake.tested_batch() if execute else none -%}
    {%- if tested is none -%}
        {{- return(relation) -}}
    {%- endif -%}
    {%- set pair = ['group_id', 'group_type', 'trait_key'] -%}
    {%- set rows -%}
        (
            select grouplake_history.*
            from {{ relation }} as grouplake_history
            inner join (
                select group_type, group_id, trait_key, min(change_seq) - 1 as from_seq
                from {{ relation }}
                where last_batch_id > {{ tested }}
                group by group_type, group_id, trait_key
            ) as grouplake_tail
                on {{ grouplake.columns_equal('grouplake_tail', 'grouplake_history', pair) }}
            where grouplake_history.change_seq >= grouplake_tail.from_seq
        )
    {%- endset -%}
    {{- return(rows) -}}
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


