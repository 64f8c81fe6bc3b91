{#
    Fails with every row for which the SQL boolean `expression` is not true
    (false or null), e.g. `expression: "gross_contribution = deposit_nii + loan_nii + fee_income"`.
#}
{% test expression_is_true(model, expression) %}

with

failing_rows as (

    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)

)

select * from failing_rows

{% endtest %}
