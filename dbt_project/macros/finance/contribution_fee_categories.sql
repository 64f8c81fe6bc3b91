{#
    The fee categories (中间业务收入 by category) that the contribution has a
    column for, `fee_<category>`, used by customer_contribution_monthly and the
    sums it is built on. The mart's contract fixes its columns when the project
    compiles, before a seed can be read, so the list is kept here rather than
    read from seeds/codes/fee_categories.csv. The two cannot drift apart
    unnoticed: the raw gate rejects a posted fee category the seed lacks, and
    the marts gate fails a seed category without its mart column (it checks
    each `contribution_column` of the seed).
#}
{% macro contribution_fee_categories() %}
    {{ return([
        'settlement',
        'wealth_management',
        'agency_insurance',
        'cards',
        'e_banking',
        'international',
        'investment_banking',
    ]) }}
{% endmacro %}
