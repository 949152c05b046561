{#
  Incremental strategy `delete_insert_by_keys`: delete+insert on a (possibly composite)
  unique_key that is not unique in the new rows, as in group_trait_history (unique_key
  group_id, trait_key; many rows per key) and user_group_memberships (group_id).

  dbt-duckdb's delete+insert deletes with `DELETE ... USING new_rows WHERE keys match`, a join
  of every old row of a key with every new row of that key: for the busiest (group, trait)
  pairs (tens of thousands of changes) that is billions of matched rows. Here the keys are
  made distinct first, so the delete is one hash join of the target against the key set.

  Optional model config `replace_from_column` (e.g. 'change_seq'): only the tail of each key
  is replaced, the old rows whose column is >= the smallest value of it among the new rows of
  that key; the old rows before it are kept. (Without it, every old row of a key in the new
  rows is deleted.)

  When the run computed no row (a build with nothing new for this model), the delete and the
  insert are left out: with no key in the new rows neither would change a row, and the delete
  would still scan the whole table. One count of the new rows decides.
#}
{% macro get_incremental_delete_insert_by_keys_sql(arg_dict) %}
    {%- set target = arg_dict["target_relation"] -%}
    {%- set source = arg_dict["temp_relation"] -%}
    {%- set unique_key = arg_dict["unique_key"] -%}
    {%- set dest_cols_csv = get_quoted_csv(arg_dict["dest_columns"] | map(attribute="name")) -%}
    {%- set replace_from = config.get("replace_from_column") -%}
    {%- if not unique_key -%}
        {{ exceptions.raise_compiler_error("incremental_strategy 'delete_insert_by_keys' needs a unique_key") }}
    {%- endif -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- if execute and run_query('select count(*) from ' ~ source).columns[0].values()[0] == 0 -%}
        {{- return('/* grouplake: no new rows, nothing to delete or insert */ select 0 as replaced_rows') -}}
    {%- endif %}

    delete from {{ target }} as dbt_incremental_target
    where exists (
        select 1
        from (
            select {{ keys | join(', ') }}
            {%- if replace_from %}, min({{ replace_from }}) as dbt_replace_from{% endif %}
            from {{ source }}
            group by {{ keys | join(', ') }}
        ) as dbt_incremental_keys
        where {% for key in keys -%}
            dbt_incremental_keys.{{ key }} = dbt_incremental_target.{{ key }}
            {%- if not loop.last %} and {% endif %}
        {%- endfor %}
        {%- if replace_from %}
            and dbt_incremental_target.{{ replace_from }} >= dbt_incremental_keys.dbt_replace_from
        {%- endif %}
    );

    insert into {{ target }} ({{ dest_cols_csv }})
    (
        select {{ dest_cols_csv }}
        from {{ source }}
    )
{% endmacro %}
