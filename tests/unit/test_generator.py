"""The source-system generator against a real PostgreSQL: determinism, catalog shape,
ERP manifests, ledger tie-out, CRM data quality, churn and concentration."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import sqlite3
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import psycopg
import pytest

from cvw.catalog import CORE_BANKING, tables_of
from cvw.config import sibling_database_url
from cvw_sources.generate import GenerationSummary, GeneratorParams, generate
from cvw_sources.generate.core_load import plan_blocks
from cvw_sources.generate.streams import Stream, streams

SMALL = GeneratorParams(seed=7, customers=200, months=3, erp_bad_rows_per_file=2)
LARGE = GeneratorParams(seed=42, customers=1000, months=12)
LENDING_PRODUCTS = ("LN12", "LN36", "LN60", "MORT", "CARD")
PG_TYPES = {"timestamptz": "timestamp with time zone"}


@dataclass(frozen=True)
class GeneratedSources:
    url: str
    erp_dir: Path
    crm_path: Path
    truth_dir: Path
    summary: GenerationSummary


def _generate(
    params: GeneratorParams, url: str, root: Path, workers: int | None = None
) -> GeneratedSources:
    summary = generate(
        params, url, root / "erp", root / "crm.sqlite3", root / "truth", workers=workers
    )
    return GeneratedSources(url, root / "erp", root / "crm.sqlite3", root / "truth", summary)


@pytest.fixture(scope="module")
def generator_database(pg_admin_url: str) -> Iterator[Callable[[str], str]]:
    """Creates fresh ``gen_scratch_<name>`` databases; drops them after the module."""
    created: list[str] = []

    def create(name: str) -> str:
        database = f"gen_scratch_{name}"
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{database}" with (force)')
            conn.execute(f'create database "{database}"')
        created.append(database)
        return sibling_database_url(pg_admin_url, database)

    yield create
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        for database in created:
            conn.execute(f'drop database if exists "{database}" with (force)')


@pytest.fixture(scope="module")
def small_sources(
    generator_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> GeneratedSources:
    return _generate(SMALL, generator_database("small"), tmp_path_factory.mktemp("small"))


@pytest.fixture(scope="module")
def large_sources(
    generator_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> GeneratedSources:
    return _generate(LARGE, generator_database("large"), tmp_path_factory.mktemp("large"))


def _query(url: str, statement: str, params: dict | None = None) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(statement, params).fetchall()


def _core_digest(url: str) -> dict[str, str]:
    digests = {}
    for table in CORE_BANKING:
        order = ", ".join(table.primary_key)
        digests[table.name] = _query(
            url, f"select md5(coalesce(string_agg(t::text, E'\\n' order by {order}), ''))"
            f" from {table.name} t",
        )[0][0]  # fmt: skip
    return digests


def _file_bytes(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _sqlite_dump(path: Path) -> str:
    with closing(sqlite3.connect(path)) as conn:
        return "\n".join(conn.iterdump())


def _parses_as_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def test_same_seed_gives_identical_sources_and_another_seed_does_not(
    small_sources: GeneratedSources,
    generator_database: Callable[[str], str],
    tmp_path: Path,
) -> None:
    rerun_url = generator_database("rerun")
    _generate(SMALL, rerun_url, tmp_path / "first")
    # The second run into the same database must replace the first, not add to it.
    again = _generate(SMALL, rerun_url, tmp_path / "again")
    assert _core_digest(rerun_url) == _core_digest(small_sources.url)
    assert _file_bytes(again.erp_dir) == _file_bytes(small_sources.erp_dir)
    assert _file_bytes(again.truth_dir) == _file_bytes(small_sources.truth_dir)
    assert _sqlite_dump(again.crm_path) == _sqlite_dump(small_sources.crm_path)
    assert again.crm_path.read_bytes() == small_sources.crm_path.read_bytes()

    other = GeneratorParams(**{**SMALL.as_json(), "seed": 8, "as_of": SMALL.as_of})
    other_sources = _generate(other, generator_database("other_seed"), tmp_path / "other")
    other_digest, small_digest = _core_digest(other_sources.url), _core_digest(small_sources.url)
    assert other_digest["transactions"] != small_digest["transactions"]
    assert other_digest["customers"] != small_digest["customers"]
    assert _file_bytes(other_sources.erp_dir) != _file_bytes(small_sources.erp_dir)
    assert _sqlite_dump(other_sources.crm_path) != _sqlite_dump(small_sources.crm_path)


def test_sources_do_not_depend_on_the_number_of_worker_processes(
    generator_database: Callable[[str], str], tmp_path: Path
) -> None:
    # One worker gets 4 blocks of 23 customers, two get 8 blocks of 12: the account,
    # transaction and fee numbering must run on across blocks and workers alike.
    params = GeneratorParams(seed=11, customers=90, months=4)
    one = _generate(params, generator_database("one_worker"), tmp_path / "one", workers=1)
    two = _generate(params, generator_database("two_workers"), tmp_path / "two", workers=2)
    assert _core_digest(two.url) == _core_digest(one.url)
    assert _file_bytes(two.erp_dir) == _file_bytes(one.erp_dir)
    assert _file_bytes(two.truth_dir) == _file_bytes(one.truth_dir)
    assert two.crm_path.read_bytes() == one.crm_path.read_bytes()
    assert two.summary.rows == one.summary.rows


def test_blocks_cover_every_customer_once_in_order() -> None:
    # 250,000 transactions // (12 months x 10) = 2,083 customers at most; 10 customers
    # are cut into at least 4 blocks per worker: ceil(10 / 4) = 3 customers a block.
    assert plan_blocks(10, 12, 1) == [range(0, 3), range(3, 6), range(6, 9), range(9, 10)]
    # 250,000 // (240 x 10) = 104 customers a block; 1,000 / 8 would allow 125.
    blocks = plan_blocks(1000, 240, 2)
    assert [len(b) for b in blocks] == [104] * 9 + [64]
    assert [i for block in blocks for i in block] == list(range(1000))


@pytest.mark.parametrize("seed", [0, 42, 2**32 + 5, 2**130 + 3])
def test_streams_seeded_together_draw_what_seed_sequence_streams_draw(seed: int) -> None:
    indexes = range(999_000 - 1500, 999_000, 7)
    for purpose in Stream:
        together = streams(seed, purpose, indexes)
        for index, rng in zip(indexes, together, strict=True):
            sequence = np.random.SeedSequence(seed, spawn_key=(int(purpose), index))
            alone = np.random.Generator(np.random.PCG64(sequence))
            assert rng.integers(2**63, size=4).tolist() == alone.integers(2**63, size=4).tolist()


def test_core_banking_tables_have_exactly_the_catalog_columns_and_keys(
    small_sources: GeneratedSources,
) -> None:
    for table in CORE_BANKING:
        columns = _query(
            small_sources.url,
            """select attname, format_type(atttypid, atttypmod), attnotnull from pg_attribute
               where attrelid = %(name)s::regclass and attnum > 0 and not attisdropped
               order by attnum""",
            {"name": f"public.{table.name}"},
        )
        expected = [(c.name, PG_TYPES.get(c.type, c.type), not c.nullable) for c in table.columns]
        assert columns == expected, table.name
        key = _query(
            small_sources.url,
            """select a.attname from pg_index i
               join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
               where i.indrelid = %(name)s::regclass and i.indisprimary
               order by array_position(i.indkey, a.attnum)""",
            {"name": f"public.{table.name}"},
        )
        assert tuple(name for (name,) in key) == table.primary_key, table.name
        count = _query(small_sources.url, f"select count(*) from {table.name}")[0][0]
        assert count == small_sources.summary.rows[f"core_banking.{table.name}"] > 0


def test_core_banking_figures_are_internally_consistent(small_sources: GeneratedSources) -> None:
    url = small_sources.url
    wrong_interest = _query(
        url,
        """select count(*) from balances b join accounts a using (account_id)
           where b.interest_accrued <> case when a.product_code = 'WLTH' then 0 else
                 round(b.average_balance * a.interest_rate * b.days_in_month / 365, 2) end
              or b.month_end_balance < 0 or b.average_balance < 0""",
    )[0][0]
    assert wrong_interest == 0
    loans_off_balance = _query(
        url,
        """select count(*) from loans l
           left join balances b on b.account_id = l.loan_id and b.balance_date = l.snapshot_date
           where b.month_end_balance is distinct from l.outstanding_balance""",
    )[0][0]
    assert loans_off_balance == 0
    after_closing = _query(
        url,
        """select count(*) from transactions t join customers c using (customer_id)
           where t.posted_at::date > c.closed_date""",
    )[0][0]
    assert after_closing == 0
    open_after_leaving = _query(
        url,
        """select count(*) from accounts a join customers c using (customer_id)
           where c.status = 'closed'
             and (a.closed_date is null or a.closed_date > c.closed_date)""",
    )[0][0]
    assert open_after_leaving == 0


def test_erp_manifests_match_an_independent_recount(small_sources: GeneratedSources) -> None:
    folders = sorted(p for p in small_sources.erp_dir.iterdir())
    assert [f.name for f in folders] == ["2026-08-31", "2026-09-30", "2026-10-31"]
    for folder in folders:
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["export_date"] == folder.name
        assert manifest["period"] == folder.name[:7]
        assert set(manifest["files"]) == {f"{t.name}.csv" for t in tables_of("erp")}
        for table in tables_of("erp"):
            path = folder / f"{table.name}.csv"
            entry = manifest["files"][path.name]
            with path.open(newline="", encoding="utf-8") as handle:
                reader = csv.reader(handle)
                assert next(reader) == table.column_names
                rows = list(reader)
            assert entry["rows"] == len(rows)
            assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
            money = [i for i, c in enumerate(table.columns) if c.type == "numeric(18,2)"]
            totals = {
                table.columns[i].name: str(sum((Decimal(r[i] or 0) for r in rows), Decimal("0.00")))
                for i in money
            }
            assert entry["control_totals"] == totals, path
        with (folder / "gl_postings.csv").open(newline="", encoding="utf-8") as handle:
            dates = [row["posting_date"] for row in csv.DictReader(handle)]
        assert sum(not _parses_as_date(d) for d in dates) == SMALL.erp_bad_rows_per_file


def test_general_ledger_ties_to_core_banking_per_branch_and_month(
    small_sources: GeneratedSources,
) -> None:
    ledger: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for path in small_sources.erp_dir.glob("*/gl_postings.csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                center = row["cost_center_id"]
                if _parses_as_date(row["posting_date"]) and center.startswith("CC-BR"):
                    ledger[(row["period"], center, row["gl_line"])] += Decimal(row["amount"])
    core: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    lending = _query(
        small_sources.url,
        """select to_char(b.balance_date, 'YYYY-MM'), 'CC-' || a.branch_id,
                  case when a.product_code = any(%(lending)s) then 'interest_income'
                       else 'interest_expense' end,
                  sum(b.interest_accrued)
           from balances b join accounts a using (account_id)
           where a.product_code <> 'WLTH' group by 1, 2, 3""",
        {"lending": list(LENDING_PRODUCTS)},
    )
    fees = _query(
        small_sources.url,
        """select to_char(posted_date, 'YYYY-MM'), 'CC-' || branch_id, 'fee_income', sum(amount)
           from fee_postings group by 1, 2""",
    )
    for period, center, line, amount in lending + fees:
        core[(period, center, line)] += amount
    customer_lines = {k: v for k, v in ledger.items() if k[2] != "operating_expense"}
    assert {k: v for k, v in core.items() if v} == customer_lines
    monthly_income = defaultdict(Decimal)
    for (period, _, line), amount in ledger.items():
        if line == "interest_income":
            monthly_income[period] += amount
    assert len(monthly_income) == SMALL.months and all(monthly_income.values())


def test_crm_cif_quality_follows_the_configured_rates(large_sources: GeneratedSources) -> None:
    with (large_sources.truth_dir / "contact_links.csv").open(newline="") as handle:
        links = {row["contact_id"]: row["customer_id"] for row in csv.DictReader(handle)}
    with closing(sqlite3.connect(large_sources.crm_path)) as conn:
        contacts = dict(conn.execute("select contact_id, cif from contacts"))
    assert set(contacts) == set(links)
    prospects = [c for c, customer in links.items() if not customer]
    assert len(prospects) == round(LARGE.crm_prospect_rate * LARGE.customers)
    assert all(contacts[c] is None for c in prospects)
    linked = [c for c, customer in links.items() if customer]
    missing = sum(contacts[c] is None for c in linked) / len(linked)
    mistyped = sum(contacts[c] not in (None, links[c]) for c in linked) / len(linked)
    assert abs(missing - LARGE.crm_missing_cif_rate) < 0.03
    assert abs(mistyped - LARGE.crm_mistyped_cif_rate) < 0.02
    duplicates = len(linked) - len(set(links[c] for c in linked))
    assert abs(duplicates / LARGE.customers - LARGE.crm_duplicate_contact_rate) < 0.025


def test_mass_customers_churn_more_than_private_ones(large_sources: GeneratedSources) -> None:
    shares = dict(
        _query(
            large_sources.url,
            "select segment, avg((status = 'closed')::int)::float from customers group by 1",
        )
    )
    assert shares["mass"] > shares["private"]
    # A 2 % monthly hazard over 12 months closes about a fifth of the mass customers.
    assert 0.12 < shares["mass"] < 0.3


def test_top_four_percent_of_customers_hold_over_half_of_balances(
    large_sources: GeneratedSources,
) -> None:
    per_customer = [
        float(balance)
        for (balance,) in _query(
            large_sources.url,
            """select coalesce(sum(b.month_end_balance), 0)
               from customers c
               left join accounts a using (customer_id)
               left join balances b on b.account_id = a.account_id and b.balance_date = %(as_of)s
               where c.status <> 'closed' group by c.customer_id""",
            {"as_of": LARGE.as_of},
        )
    ]
    per_customer.sort(reverse=True)
    top = math.ceil(len(per_customer) * 0.04)
    share = sum(per_customer[:top]) / sum(per_customer)
    assert share > 0.5
    assert share == pytest.approx(large_sources.summary.top_4pct_balance_share, abs=1e-4)
    recorded = json.loads((large_sources.truth_dir / "generator.json").read_text())
    assert recorded["balance_concentration"]["top_4pct_share"] == pytest.approx(share, abs=1e-4)


@pytest.mark.parametrize(
    "arguments",
    [
        ["--as-of", "2026-10-30"],
        ["--customers", "9"],
        ["--months", "0"],
        ["--seed", "many"],
        ["--crm-missing-cif-rate", "1.5"],
        ["--workers", "0"],
    ],
)
def test_cli_rejects_bad_input_with_one_error_line(arguments: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cvw", "sources", "generate", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
