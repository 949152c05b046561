{#
  Incremental strategy `delete_insert_by_keys`: delete+insert on a (possibly composite)
  unique_key that is not unique in the new rows, as in group_trait_history (unique_key
  group_id, trait_key; many rows per key).

  dbt-duckdb's delete+insert deletes with `DELETE ... USING new_rows WHERE keys match`, a join
  of every old row of a key with every new row of that key: for the busiest (group, trait)
  pairs (tens of thousands of changes) that is billions of matched rows. Here the keys are
  made distinct first, so the delete is one hash join of the target against the key set.
#}
{% macro get_incremental_delete_insert_by_keys_sql(arg_dict) %}
    {%- set target = arg_dict["target_relation"] -%}
    {%- set source = arg_dict["temp_relation"] -%}
    {%- set unique_key = arg_dict["unique_key"] -%}
    {%- set dest_cols_csv = get_quoted_csv(arg_dict["dest_columns"] | map(attribute="name")) -%}
    {%- if not unique_key -%}
        {{ exceptions.raise_compiler_error("incremental_strategy 'delete_insert_by_keys' needs a unique_key") }}
    {%- endif -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}

    delete from {{ target }} as dbt_incremental_target
    where exists (
        select 1
        from (select distinct {{ keys | join(', ') }} from {{ source }}) as dbt_incremental_keys
        where {% for key in keys -%}
            dbt_incremental_keys.{{ key }} = dbt_incremental_target.{{ key }}
            {%- if not loop.last %} and {% endif %}
        {%- endfor %}
    );

    insert into {{ target }} ({{ dest_cols_csv }})
    (
        select {{ dest_cols_csv }}
        from {{ source }}
    )
{% endmacro %}
