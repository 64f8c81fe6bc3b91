{#
    Two CTEs, `<output_cte>_suffix_ranked` and `<output_cte>`, giving two
    name keys per record. Call it between other CTEs, followed by a comma.

    `names_cte` must have the columns in `record_columns` (the record's key)
    and a column `normalized_name` built with identity_normalized_text.
    `suffixes_cte` holds the company_name_suffixes seed. The longest
    legal-form suffix variant the name ends with (as whole words, or directly
    after CJK characters for a CJK variant) is replaced by its canonical form,
    so 'Co., Ltd.', 'Company Limited' and '有限公司' compare equal.

    name_key: the name with the canonical suffix, all spaces removed
    ('Wang  Xiuying', 'WangXiuying' and 'WANG XIUYING' agree).
    name_token_key: the words of the name before the suffix in alphabetical
    order, then the canonical suffix ('Xiuying Wang' and 'Wang Xiuying' agree).
#}
{% macro identity_name_keys(names_cte, record_columns, suffixes_cte, output_cte) -%}

{{ output_cte }}_suffix_ranked as (

    select
        {% for column in record_columns -%}
        {{ names_cte }}.{{ column }},
        {% endfor -%}
        {{ suffixes_cte }}.canonical_suffix,
        case
            when {{ suffixes_cte }}.suffix_variant is null then {{ names_cte }}.normalized_name
            else btrim(left(
                {{ names_cte }}.normalized_name,
                length({{ names_cte }}.normalized_name) - length({{ suffixes_cte }}.suffix_variant)
            ))
        end as base_name,
        row_number() over (
            partition by
                {% for column in record_columns -%}
                {{ names_cte }}.{{ column }}{% if not loop.last %},{% endif %}
                {% endfor -%}
            order by length({{ suffixes_cte }}.suffix_variant) desc nulls last
        ) as suffix_rank
    from {{ names_cte }}
    left join {{ suffixes_cte }}
        on
            right(
                {{ names_cte }}.normalized_name, length({{ suffixes_cte }}.suffix_variant) + 1
            ) = ' ' || {{ suffixes_cte }}.suffix_variant
            or (
                {{ regex_matches(suffixes_cte ~ '.suffix_variant', '^[\\u4e00-\\u9fff]') }}
                and length({{ names_cte }}.normalized_name) > length({{ suffixes_cte }}.suffix_variant)
                and right(
                    {{ names_cte }}.normalized_name, length({{ suffixes_cte }}.suffix_variant)
                ) = {{ suffixes_cte }}.suffix_variant
            )

),

{{ output_cte }} as (

    select
        {% for column in record_columns -%}
        {{ column }},
        {% endfor -%}
        nullif(replace(concat_ws(' ', base_name, canonical_suffix), ' ', ''), '') as name_key,
        nullif(
            concat_ws(
                ' ',
                nullif({{ words_sorted('base_name') }}, ''),
                canonical_suffix
            ),
            ''
        ) as name_token_key
    from {{ output_cte }}_suffix_ranked
    where suffix_rank = 1

)

{%- endmacro %}
