{#
    Code lists that become columns: one mart column per code (`fee_<category>`
    of the contribution, `has_<family>` and `<family>_account_count` of the
    customer 360, `channel_share_<channel>`). A mart's contract fixes its
    columns when the project compiles, before a seed can be read, so these
    lists are kept here, once, rather than read from the seeds. They cannot
    drift from the seeds unnoticed: the staging `accepted_code` tests and the
    raw gate reject a code the seed lacks (seeds/codes/accepted_codes.csv,
    seeds/codes/fee_categories.csv), and the marts gate fails a fee category of
    the seed without its mart column.
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

{% macro product_families() %}
    {{ return(['current_deposit', 'term_deposit', 'loan', 'card', 'wealth']) }}
{% endmacro %}

{% macro transaction_channels() %}
    {{ return(['branch', 'atm', 'online', 'mobile']) }}
{% endmacro %}
