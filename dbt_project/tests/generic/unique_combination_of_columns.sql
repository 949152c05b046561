{#
  The combination of `combination_of_columns` is unique across the model's rows
  (a small local stand-in for dbt_utils.unique_combination_of_columns; NULLs compare equal).

      data_tests:
        - unique_combination_of_columns:
            arguments:
              combination_of_columns: [group_id, trait_key]

  Where the engine has a fast row hash (macro combination_hash; DuckDB), the rows are first
  grouped by the hash of the combination, a fixed-width key much cheaper to group than the
  text columns, and only the combinations whose hash occurs more than once are grouped again
  by their values: the same failures, a fraction of the work on large tables.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

{%- set cols = combination_of_columns | join(', ') %}
{%- set combination_hash = grouplake.combination_hash(combination_of_columns) %}

{% if combination_hash %}
with repeated_hashes as (

    select {{ combination_hash }} as combination_hash
    from {{ model }}
    group by {{ combination_hash }}
    having count(*) > 1

)

select {{ cols }}, count(*) as n_rows
from {{ model }}
where {{ combination_hash }} in (select combination_hash from repeated_hashes)
group by {{ cols }}
having count(*) > 1
{% else %}
select {{ cols }}, count(*) as n_rows
from {{ model }}
group by {{ cols }}
having count(*) > 1
{% endif %}

{% endtest %}
