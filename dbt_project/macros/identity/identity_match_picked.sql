{#
    The tail shared by the identity-matching models: three CTEs ending in
    `<output_cte>`, one row per record of `records_cte` with the customer its
    candidates pick. Call it between other CTEs, followed by a comma.

    `candidates_cte` has a row per candidate customer a rule found for a
    record: the column `record_key`, customer_id and match_rule (a pair may
    come more than once: candidates are counted distinct). `rules_cte` holds
    the source system's rows of the identity_match_rules seed (match_rule,
    rule_order); a rule missing from it finds nothing.

    Per record, the rules are taken in rule order and the first with exactly
    one candidate customer wins. A rule with two or more candidates matches
    nothing and is listed in ambiguous_rules.

    `<output_cte>` has the columns `record_columns` of `records_cte`, then
    customer_id and match_rule (null when no rule matched), ambiguous_rules
    (the ambiguous rules, comma separated in rule order) and is_ambiguous (no
    rule matched and some rule was ambiguous: a conflict for every source).
#}
{% macro identity_match_picked(
    records_cte, record_key, record_columns, candidates_cte, rules_cte, output_cte
) -%}

{{ output_cte }}_rule_outcomes as (

    select
        {{ candidates_cte }}.{{ record_key }},
        {{ candidates_cte }}.match_rule,
        {{ rules_cte }}.rule_order,
        count(distinct {{ candidates_cte }}.customer_id) as candidate_count,
        min({{ candidates_cte }}.customer_id) as candidate_customer_id
    from {{ candidates_cte }}
    inner join {{ rules_cte }}
        on {{ candidates_cte }}.match_rule = {{ rules_cte }}.match_rule
    group by
        {{ candidates_cte }}.{{ record_key }},
        {{ candidates_cte }}.match_rule,
        {{ rules_cte }}.rule_order

),

-- One pass over the rule outcomes: the rules with a single candidate (the
-- first of them wins) and the rules with several, in rule order.
{{ output_cte }}_outcomes as (

    select
        {{ record_key }},
        {{ ordered_array_agg('candidate_customer_id', 'rule_order', 'candidate_count = 1') }}
        as unique_candidate_customer_ids,
        {{ ordered_array_agg('match_rule', 'rule_order', 'candidate_count = 1') }} as unique_match_rules,
        {{ ordered_string_agg('match_rule', "','", 'rule_order', 'candidate_count > 1') }}
        as ambiguous_rules
    from {{ output_cte }}_rule_outcomes
    group by {{ record_key }}

),

-- A record without a candidate has no outcome row: no customer, no
-- ambiguous rule, and is_ambiguous false (null is null and null is not null).
{{ output_cte }} as (

    select
        {% for column in record_columns -%}
        {{ records_cte }}.{{ column }},
        {% endfor -%}
        {{ array_first(output_cte ~ '_outcomes.unique_candidate_customer_ids') }} as customer_id,
        {{ array_first(output_cte ~ '_outcomes.unique_match_rules') }} as match_rule,
        {{ output_cte }}_outcomes.ambiguous_rules,
        {{ array_first(output_cte ~ '_outcomes.unique_candidate_customer_ids') }} is null
        and {{ output_cte }}_outcomes.ambiguous_rules is not null as is_ambiguous
    from {{ records_cte }}
    left join {{ output_cte }}_outcomes
        on {{ records_cte }}.{{ record_key }} = {{ output_cte }}_outcomes.{{ record_key }}

)

{%- endmacro %}
