{#
  Every row satisfies a boolean SQL expression (NULL counts as false).

      data_tests:
        - expression_is_true:
            arguments:
              expression: "valid_to is null or valid_to >= valid_from"
#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not coalesce({{ expression }}, false)

{% endtest %}
