{#
    The stored form of a normalized identity value: HMAC-SHA256 under the
    warehouse's identity-hash key, as 64 hex digits; null stays null.

    The RFC 2104 pads of the key are computed once in Python
    (cvw.identity_key) and kept in warehouse_meta.identity_hash_key, because
    PostgreSQL without pgcrypto has sha256() but no hmac(). The pads are read
    by uncorrelated scalar subqueries, which PostgreSQL evaluates once per
    query. Hash after normalizing: equal normalized values give equal hashes,
    so equality joins match exactly as they would on the readable values.

    The var identity_keys_hashed is true everywhere except in the unit tests
    of the identity models, which override it to compare readable keys.
#}
{% macro identity_hash(expression) -%}
    {{- return(adapter.dispatch('identity_hash', 'customer_value')(expression)) -}}
{%- endmacro %}

{% macro default__identity_hash(expression) -%}
    {%- if var('identity_keys_hashed') -%}
    encode(
        sha256(
            (select identity_hash_key.outer_pad from warehouse_meta.identity_hash_key)
            || sha256(
                (select identity_hash_key.inner_pad from warehouse_meta.identity_hash_key)
                || convert_to({{ expression }}, 'UTF8')
            )
        ),
        'hex'
    )
    {%- else -%}
    ({{ expression }})
    {%- endif -%}
{%- endmacro %}

{#
    Spark: the same HMAC from the same pads (a binary column there). Spark's
    sha2() returns the hex digest as text, so the inner digest is turned back
    into bytes with unhex() before the outer hash; encode() gives the UTF-8
    bytes of the value.
#}
{% macro spark__identity_hash(expression) -%}
    {%- if var('identity_keys_hashed') -%}
    sha2(
        concat(
            (select identity_hash_key.outer_pad from warehouse_meta.identity_hash_key),
            unhex(sha2(
                concat(
                    (select identity_hash_key.inner_pad from warehouse_meta.identity_hash_key),
                    encode({{ expression }}, 'UTF-8')
                ),
                256
            ))
        ),
        256
    )
    {%- else -%}
    ({{ expression }})
    {%- endif -%}
{%- endmacro %}
