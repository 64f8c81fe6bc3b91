{#
    Normalizers for matching parties across source systems. Each returns a SQL
    expression; empty results become null so that a missing value never
    matches another missing value.

    identity_normalized_text: Unicode NFKC (full-width letters, digits,
    punctuation and the ideographic space become their half-width forms), lower
    case, every run of characters other than a-z, 0-9 and CJK ideographs
    becomes one space, Latin and CJK runs are separated by a space, trimmed.
    'ＨＵＡＸＩＮ  Trading Co.,Ltd.' -> 'huaxin trading co ltd'.
#}
{% macro identity_normalized_text(expression) -%}
    nullif(
        btrim(
            regexp_replace(
                regexp_replace(
                    regexp_replace(
                        lower(normalize({{ expression }}, nfkc)),
                        '[^a-z0-9\u4e00-\u9fff]+', ' ', 'g'
                    ),
                    '([a-z0-9])([\u4e00-\u9fff])', '\1 \2', 'g'
                ),
                '([\u4e00-\u9fff])([a-z0-9])', '\1 \2', 'g'
            )
        ),
        ''
    )
{%- endmacro %}

{#
    National ID or company registration number: NFKC, upper case, without
    whitespace, hyphens or dots. ' 91350203-086884758w ' -> '91350203086884758W'.
#}
{% macro identity_national_id_key(expression) -%}
    nullif(upper(regexp_replace(normalize({{ expression }}, nfkc), '[\s.\-]+', '', 'g')), '')
{%- endmacro %}

{#
    Phone number: digits only; the mainland China country code (+86 or 0086)
    is dropped, keeping the national form: a mobile number stays 11 digits
    starting with 1, a landline gets its trunk prefix 0 back.
    '+86 138-1234-5678' -> '13812345678', '+86 10 87132635' -> '01087132635',
    '0755 81234567' -> '075581234567'.
#}
{% macro identity_phone_key(expression) -%}
    nullif(
        regexp_replace(
            regexp_replace(
                regexp_replace(normalize({{ expression }}, nfkc), '[^0-9]+', '', 'g'),
                '^(00)?86(1[0-9]{10})$', '\2'
            ),
            '^(00)?86([2-9][0-9]{8,10})$', '0\2'
        ),
        ''
    )
{%- endmacro %}

{#
    E-mail address: NFKC, lower case, without surrounding whitespace.
#}
{% macro identity_email_key(expression) -%}
    nullif(btrim(lower(normalize({{ expression }}, nfkc))), '')
{%- endmacro %}

{#
    CIF number as typed: NFKC, upper case, without whitespace.
#}
{% macro identity_cif_key(expression) -%}
    nullif(upper(regexp_replace(normalize({{ expression }}, nfkc), '\s+', '', 'g')), '')
{%- endmacro %}
