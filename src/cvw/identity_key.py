"""The key of the identity hash that the warehouse stores matching keys under.

The customer-matching models keep normalised national IDs, phone numbers,
e-mail addresses and name keys only as HMAC-SHA256 hex digests (dbt macro
``identity_hash``), so equality joins still match while the stored table holds
no readable identity value. PostgreSQL without pgcrypto has ``sha256(bytea)``
but no HMAC, so the two padded keys of RFC 2104 are computed here once and
stored in ``warehouse_meta.identity_hash_key``; SQL then needs only
``sha256(outer_pad || sha256(inner_pad || message))``.
"""

from __future__ import annotations

import hashlib

import psycopg

BLOCK_SIZE = 64  # bytes, SHA-256's block size
INNER_PAD_BYTE = 0x36
OUTER_PAD_BYTE = 0x5C

IDENTITY_KEY_DDL = """
create schema if not exists warehouse_meta;
create table if not exists warehouse_meta.identity_hash_key (
    inner_pad bytea not null,
    outer_pad bytea not null
);
"""


def hmac_pads(secret: bytes) -> tuple[bytes, bytes]:
    """(inner pad, outer pad) of HMAC-SHA256 for ``secret``: the block key XOR 0x36 and 0x5c.

    As RFC 2104 has it, a key longer than the block is hashed first, and the key
    is then padded with zero bytes to the block size.
    """
    key = hashlib.sha256(secret).digest() if len(secret) > BLOCK_SIZE else secret
    block_key = key.ljust(BLOCK_SIZE, b"\x00")
    inner = bytes(byte ^ INNER_PAD_BYTE for byte in block_key)
    outer = bytes(byte ^ OUTER_PAD_BYTE for byte in block_key)
    return inner, outer


def install_identity_key(conn: psycopg.Connection, secret: str) -> None:
    """Create ``warehouse_meta.identity_hash_key`` if missing and make its single row the pads
    of ``secret`` (UTF-8). Changing the secret changes every stored key on the next build."""
    inner, outer = hmac_pads(secret.encode("utf-8"))
    with conn.transaction():
        conn.execute(IDENTITY_KEY_DDL)
        conn.execute("delete from warehouse_meta.identity_hash_key")
        conn.execute(
            "insert into warehouse_meta.identity_hash_key (inner_pad, outer_pad) values (%s, %s)",
            (inner, outer),
        )
