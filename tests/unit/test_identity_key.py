"""The SQL identity hash (dbt macro identity_hash over the pads cvw.identity_key stores)
equals HMAC-SHA256 as Python's hmac module computes it."""

from __future__ import annotations

import hashlib
import hmac

import psycopg
import pytest

from cvw.identity_key import hmac_pads, install_identity_key
from tests.dbt_macros import project_macro

identity_hash = project_macro(
    "personal_data/identity_hash.sql", "identity_hash", {"identity_keys_hashed": True}
)

MESSAGES = [
    "110105198001011234",
    "13812345678",
    "finance@huaxin.example.cn",
    "wang xiuying",
    "张伟",
    "杭州华信贸易 co ltd",
    "",
    "x" * 200,  # longer than one SHA-256 block
]
SECRETS = [
    "short key",
    "k" * 64,  # exactly one block: used as is
    "长" * 30,  # 90 UTF-8 bytes: longer than a block, hashed first
    "Vq3-TUV_4mTjz0dXGXj5dZ1Cx8rV7O3aX1r3oNh8r8U",  # the shape cvw.credentials makes
]


def _sql_hashes(conn: psycopg.Connection, messages: list[str | None]) -> list[str | None]:
    query = (
        f"select {identity_hash('messages.message')} from unnest(%s::text[])"
        " with ordinality as messages (message, position) order by position"
    )
    return [row[0] for row in conn.execute(query, (messages,))]


@pytest.mark.parametrize("secret", SECRETS)
def test_sql_identity_hash_equals_python_hmac(scratch_database: str, secret: str) -> None:
    expected = [
        hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
        for message in MESSAGES
    ]
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        install_identity_key(conn, secret)
        assert _sql_hashes(conn, MESSAGES) == expected


def test_null_stays_null_and_reinstalling_replaces_the_key(scratch_database: str) -> None:
    with psycopg.connect(scratch_database, autocommit=True) as conn:
        install_identity_key(conn, "first key")
        install_identity_key(conn, "second key")
        rows = conn.execute("select count(*) from warehouse_meta.identity_hash_key").fetchone()
        assert rows == (1,)
        second = hmac.new(b"second key", "张伟".encode(), hashlib.sha256).hexdigest()
        assert _sql_hashes(conn, ["张伟", None]) == [second, None]


def test_pads_follow_rfc_2104() -> None:
    inner, outer = hmac_pads(b"key")
    assert len(inner) == len(outer) == 64
    # 'k' = 0x6b: 0x6b ^ 0x36 = 0x5d, 0x6b ^ 0x5c = 0x37; zero padding ^ pad byte = pad byte.
    assert inner == bytes([0x5D, 0x53, 0x4F]) + b"\x36" * 61
    assert outer == bytes([0x37, 0x39, 0x25]) + b"\x5c" * 61
    long_key = b"a" * 65
    digest = hashlib.sha256(long_key).digest()
    assert hmac_pads(long_key)[0] == bytes(byte ^ 0x36 for byte in digest) + b"\x36" * 32
