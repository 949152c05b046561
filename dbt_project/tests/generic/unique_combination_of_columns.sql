{#
  The combination of `combination_of_columns` is unique across the model's rows
  (a small local stand-in for dbt_utils.unique_combination_of_columns; NULLs compare equal).

      data_tests:
        - unique_combination_of_columns:
            arguments:
              combination_of_columns: [group_id, trait_key]
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

{%- set cols = combination_of_columns | join(', ') %}

select {{ cols }}, count(*) as n_rows
from {{ model }}
group by {{ cols }}
having count(*) > 1

{% endtest %}
