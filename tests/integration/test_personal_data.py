"""Personal data in the published marts, read the way each reader role reads it.

The `pii` tags come from the dbt manifest of the shared run; the names, national
IDs, phone numbers and e-mail addresses to look for come from staging, read as
the server admin. Masks and hashes are recomputed here in Python.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import errors, sql

from cvw.config import Settings
from cvw.credentials import secret
from cvw.runner import DagRunResult

pytestmark = pytest.mark.integration

BI_READER = "cvw_bi_reader"
PII_READER = "cvw_pii_reader"
# Kinds that must never reach a mart, not even hidden behind a privilege.
KINDS_KEPT_OUT_OF_MARTS = {"national_id", "phone", "email", "birth_date"}
# The marts that carry customer names, by decision (see their yml): the RM's views.
NAMED_MARTS = {("customer_360", "full_name"), ("dim_customer", "full_name")}
TEXT_TYPES = ("text", "character varying", "character")
HEX_DIGEST = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture(scope="module")
def published(first_run: DagRunResult, test_settings: Settings) -> Settings:
    assert first_run.succeeded, f"failed tasks: {first_run.failed_tasks()}; {first_run.log_path}"
    return test_settings


@pytest.fixture(scope="module")
def mart_pii_tags(published: Settings) -> dict[tuple[str, str], str]:
    """(mart, column) -> pii kind, for every tagged column of every model under models/marts/."""
    manifest = json.loads((published.dbt_target_path / "manifest.json").read_text())
    return {
        (node["name"], column["name"]): column["meta"]["pii"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["original_file_path"].startswith("models/marts/")
        for column in node["columns"].values()
        if "pii" in column.get("meta", {})
    }


@pytest.fixture
def admin(published: Settings) -> Iterator[psycopg.Connection]:
    with psycopg.connect(published.warehouse_url, autocommit=True) as conn:
        yield conn


def _as_role(conn: psycopg.Connection, role: str, query: sql.Composable) -> list[tuple[Any, ...]]:
    """Rows of ``query`` run with the privileges of ``role`` (the admin may become any role)."""
    with conn.transaction():
        conn.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
        return conn.execute(query).fetchall()


def _select(columns: list[str], table: str, where: str = "") -> sql.Composed:
    return sql.SQL("select {} from {} {}").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.Identifier("marts", table),
        sql.SQL(where),
    )


def _staging_names(conn: psycopg.Connection) -> dict[str, str]:
    rows = conn.execute("select customer_id, full_name from staging.stg_core_banking__customers")
    return dict(rows.fetchall())


def _masked(name: str) -> str | None:
    """The masking rule, written independently of the macro."""
    name = name.strip()
    if not name:
        return None
    if "\u4e00" <= name[0] <= "\u9fff":
        return name[0] + "*" * (len(name) - 1)
    words = name.split()
    if len(words) == 1:
        return words[0][0] + "**"
    return f"{words[0][0]}** {words[-1]}"


def test_no_mart_column_is_tagged_as_a_kind_kept_out_of_the_marts(mart_pii_tags):
    assert set(mart_pii_tags) == NAMED_MARTS
    assert set(mart_pii_tags.values()) == {"name"}
    assert not set(mart_pii_tags.values()) & KINDS_KEPT_OUT_OF_MARTS


def test_bi_reader_cannot_select_tagged_columns(admin, mart_pii_tags):
    assert mart_pii_tags
    for table, column in mart_pii_tags:
        allowed = admin.execute(
            "select has_column_privilege(%s, %s, %s, 'select')",
            (BI_READER, f"marts.{table}", column),
        ).fetchone()
        assert allowed == (False,), (table, column)
        with pytest.raises(errors.InsufficientPrivilege):
            _as_role(admin, BI_READER, _select([column], table, "limit 1"))
        # The rest of the same table stays readable.
        assert _as_role(admin, BI_READER, _select(["customer_id"], table, "limit 1"))


def test_no_reader_privileges_outside_the_published_marts(admin):
    # marts_previous holds the tables of the last publish, with their grants; the
    # publish step takes the readers' USAGE on that schema away.
    grants = admin.execute(
        "select table_schema, table_name from information_schema.column_privileges"
        " where grantee in (%s, %s) and table_schema not in ('marts', 'marts_previous')"
        " union"
        " select table_schema, table_name from information_schema.role_table_grants"
        " where grantee in (%s, %s) and table_schema not in ('marts', 'marts_previous')",
        (BI_READER, PII_READER, BI_READER, PII_READER),
    ).fetchall()
    assert grants == []


def test_masked_names_follow_the_masking_rule(admin):
    names = _staging_names(admin)
    for table, where in (("customer_360", ""), ("dim_customer", "where is_current")):
        query = _select(["customer_id", "full_name_masked"], table, where)
        rows = _as_role(admin, BI_READER, query)
        assert len(rows) == len(names) > 0
        for customer_id, masked in rows:
            assert masked == _masked(names[customer_id]), customer_id
            assert masked != names[customer_id]


def test_masking_rule_on_hand_made_names():
    assert _masked("张伟") == "张*"
    assert _masked("欧阳娜娜") == "欧***"
    assert _masked("Wei Zhang") == "W** Zhang"


def test_pii_reader_reads_the_names_in_clear(admin, mart_pii_tags):
    names = _staging_names(admin)
    for table, column in mart_pii_tags:
        where = "where is_current" if table == "dim_customer" else ""
        rows = _as_role(admin, PII_READER, _select(["customer_id", column], table, where))
        assert dict(rows) == names, table


def _identity_values(conn: psycopg.Connection) -> set[str]:
    """Every customer's and contact's raw name, national ID, phone and e-mail, trimmed and
    lower-cased. Names that are also a relationship manager's are left out: staff names are
    published on purpose (rm_name), and a customer may share a common name with a manager."""
    rows = conn.execute(
        """
        with identity_values as (
            select unnest(array[full_name, national_id, phone, email]) as value
            from staging.stg_core_banking__customers
            union
            select unnest(array[full_name, national_id, phone, email])
            from staging.stg_crm__contacts
            union
            select unnest(array[billing_name, registration_number])
            from staging.stg_erp__invoices
        )
        select distinct lower(btrim(value)) from identity_values
        where btrim(value) != ''
        except
        select lower(btrim(rm_name)) from staging.stg_crm__relationship_managers
        """
    ).fetchall()
    return {value for (value,) in rows}


def test_no_text_value_a_bi_reader_can_see_is_a_customer_identity(admin):
    identities = _identity_values(admin)
    assert len(identities) > 400
    readable_text_columns = admin.execute(
        "select table_name, column_name from information_schema.columns"
        " where table_schema = 'marts' and data_type = any(%s)"
        " and has_column_privilege(%s, format('marts.%%I', table_name), column_name, 'select')"
        " order by table_name, column_name",
        (list(TEXT_TYPES), BI_READER),
    ).fetchall()
    assert ("customer_360", "full_name_masked") in readable_text_columns
    for table, column in readable_text_columns:
        query = sql.SQL("select distinct lower(btrim({column})) from {table}").format(
            column=sql.Identifier(column), table=sql.Identifier("marts", table)
        )
        values = {value for (value,) in _as_role(admin, BI_READER, query)}
        assert not values & identities, (table, column, sorted(values & identities)[:3])


def test_stored_identity_keys_are_keyed_hashes_of_the_normalized_values(admin, published):
    key = secret(published.state_dir, "identity_hash_key").encode()

    def keyed_hash(value: str) -> str:
        return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()

    columns = {
        name
        for (name,) in admin.execute(
            "select column_name from information_schema.columns where table_schema"
            " = 'intermediate' and table_name = 'int_customer_identities_normalized'"
        )
    }
    assert "normalized_name" not in columns
    rows = admin.execute(
        "select customers.national_id, customers.email, identities.national_id_key,"
        " identities.email_key, identities.phone_key, identities.name_key,"
        " identities.name_token_key"
        " from intermediate.int_customer_identities_normalized as identities"
        " inner join staging.stg_core_banking__customers as customers using (customer_id)"
    ).fetchall()
    assert len(rows) > 0
    for national_id, email, national_id_key, email_key, *other_keys in rows:
        # National ID: NFKC, no whitespace, hyphens or dots, upper case. E-mail: NFKC,
        # trimmed, lower case (macros/identity/identity_normalizers.sql).
        expected_id = re.sub(r"[\s.\-]+", "", unicodedata.normalize("NFKC", national_id)).upper()
        assert national_id_key == keyed_hash(expected_id)
        if email:
            assert email_key == keyed_hash(unicodedata.normalize("NFKC", email).strip().lower())
        for value in other_keys:
            assert value is None or HEX_DIGEST.match(value)
