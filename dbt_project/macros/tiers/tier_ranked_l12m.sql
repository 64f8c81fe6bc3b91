{#
    The 12-month contribution column customer_tier_monthly ranks, from the
    tier_ranking_contribution var: `net_contribution` (EVA, the default) or
    `gross_contribution`. Anything else stops the build with the var's name.
#}
{% macro tier_ranked_l12m() %}
    {%- set measures = {
        'net_contribution': 'net_contribution_l12m',
        'gross_contribution': 'contribution_l12m',
    } -%}
    {%- set measure = var('tier_ranking_contribution') -%}
    {%- if measure not in measures -%}
        {{ exceptions.raise_compiler_error(
            "var tier_ranking_contribution is '" ~ measure ~ "'; use one of: "
            ~ measures.keys() | join(', ')
        ) }}
    {%- endif -%}
    {{ return(measures[measure]) }}
{% endmacro %}
