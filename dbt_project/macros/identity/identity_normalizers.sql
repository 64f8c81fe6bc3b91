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
    {{- return(adapter.dispatch('identity_normalized_text', 'customer_value')(expression)) -}}
{%- endmacro %}

{% macro default__identity_normalized_text(expression) -%}
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
    {{- return(adapter.dispatch('identity_national_id_key', 'customer_value')(expression)) -}}
{%- endmacro %}

{% macro default__identity_national_id_key(expression) -%}
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
    {{- return(adapter.dispatch('identity_phone_key', 'customer_value')(expression)) -}}
{%- endmacro %}

{% macro default__identity_phone_key(expression) -%}
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
    {{- return(adapter.dispatch('identity_email_key', 'customer_value')(expression)) -}}
{%- endmacro %}

{% macro default__identity_email_key(expression) -%}
    nullif(btrim(lower(normalize({{ expression }}, nfkc))), '')
{%- endmacro %}

{#
    CIF number as typed: NFKC, upper case, without whitespace.
#}
{% macro identity_cif_key(expression) -%}
    {{- return(adapter.dispatch('identity_cif_key', 'customer_value')(expression)) -}}
{%- endmacro %}

{% macro default__identity_cif_key(expression) -%}
    nullif(upper(regexp_replace(normalize({{ expression }}, nfkc), '\s+', '', 'g')), '')
{%- endmacro %}


{#
    Spark forms of the normalizers above. Spark has no normalize(): the NFKC
    step becomes nfkc_width_folded (below). Spark reads backslash escapes in
    string literals, so the patterns' backslashes are doubled, and its
    regexp_replace replaces every match (PostgreSQL's flag 'g') and refers
    to groups as $1 instead of \1.
#}
{% macro spark__identity_normalized_text(expression) -%}
    nullif(
        btrim(
            regexp_replace(
                regexp_replace(
                    regexp_replace(
                        lower({{ nfkc_width_folded(expression) }}),
                        '[^a-z0-9\\u4e00-\\u9fff]+', ' '
                    ),
                    '([a-z0-9])([\\u4e00-\\u9fff])', '$1 $2'
                ),
                '([\\u4e00-\\u9fff])([a-z0-9])', '$1 $2'
            )
        ),
        ''
    )
{%- endmacro %}

{% macro spark__identity_national_id_key(expression) -%}
    nullif(upper(regexp_replace({{ nfkc_width_folded(expression) }}, '[\\s.\\-]+', '')), '')
{%- endmacro %}

{% macro spark__identity_phone_key(expression) -%}
    nullif(
        regexp_replace(
            regexp_replace(
                regexp_replace({{ nfkc_width_folded(expression) }}, '[^0-9]+', ''),
                '^(00)?86(1[0-9]{10})$', '$2'
            ),
            '^(00)?86([2-9][0-9]{8,10})$', '0$2'
        ),
        ''
    )
{%- endmacro %}

{% macro spark__identity_email_key(expression) -%}
    nullif(btrim(lower({{ nfkc_width_folded(expression) }})), '')
{%- endmacro %}

{% macro spark__identity_cif_key(expression) -%}
    nullif(upper(regexp_replace({{ nfkc_width_folded(expression) }}, '\\s+', '')), '')
{%- endmacro %}

{#
    The part of NFKC the identity keys rely on, for Spark, which has no
    Unicode normalization function: the full-width forms U+FF01-U+FF5E
    (letters, digits, punctuation) become their ASCII characters and the
    ideographic space U+3000 a space, by translate(). NFKC's other
    compatibility mappings (circled digits, ligatures, half-width katakana)
    are not made; source systems type names and numbers with the IME's
    full-width forms, which are the ones folded here.
#}
{% macro nfkc_width_folded(expression) -%}
    {%- set full_width = [] -%}
    {%- set ascii = [] -%}
    {%- for code in range(33, 127) -%}
        {%- do full_width.append('\\u%04x' | format(code + 65248)) -%}
        {%- do ascii.append('\\u%04x' | format(code)) -%}
    {%- endfor -%}
    translate({{ expression }}, '{{ full_width | join('') }}\u3000', '{{ ascii | join('') }} ')
{%- endmacro %}
