"""The customer lifecycle stage mart against an independent pandas computation.

Stages are recomputed here from lower-level tables only: customers from the staging
view, accounts from ``marts.dim_account``, month-end balances from
``marts.fct_account_balance_monthly``, transactions from ``marts.fct_transactions``,
the reporting months from the staging balances and fee postings, and the thresholds
from the vars in ``dbt_project.yml``. Money is compared in ``Decimal`` (the rules must
agree exactly; balances within half a cent), rates within 1e-6, every other column
exactly, on every customer-month.

The shared run holds three months (August to October 2026), fewer than the default
comparison distance of three months, so with the defaults no comparison can fire.
The second test therefore builds the mart again, in a copy of the warehouse, with
``lifecycle_compare_months`` set to 1, where September and October compare with the
month before and October's activity window compares with September's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg
import pytest
import yaml

from cvw.config import dbt_env, sibling_database_url
from tests.integration.frames import DBT_PROJECT_DIR, dbt_vars, frame

pytestmark = pytest.mark.integration

HALF_CENT = Decimal("0.005")
RATE_TOLERANCE = 1e-6
COPY_DATABASE = "t_lifecycle_compare_one"
INTEGER_COLUMNS = [
    "tenure_months",
    "product_count",
    "open_account_count",
    "transaction_count",
    "window_transaction_count",
    "comparison_product_count",
    "previous_window_transaction_count",
]


def lifecycle_vars(**overrides: Any) -> dict[str, Any]:
    found = {k: v for k, v in dbt_vars().items() if k.startswith("lifecycle_")}
    return found | overrides


# --- The independent computation ----------------------------------------------------


def _month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _whole_months(start: date, end: date) -> int:
    """Whole months from start to end, as PostgreSQL's age() counts them."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if end.day < start.day else months


def load_inputs(url: str) -> dict[str, pd.DataFrame]:
    return {
        "customers": frame(
            url,
            "select customer_id, onboarded_date, closed_date"
            " from staging.stg_core_banking__customers",
        ),
        "activity_dates": frame(
            url,
            "select balance_date as activity_date from staging.stg_core_banking__balances"
            " union all select posted_date from staging.stg_core_banking__fee_postings",
        ),
        "accounts": frame(
            url,
            "select account_id, customer_id, product_code, opened_date, closed_date"
            " from marts.dim_account",
        ),
        "balances": frame(
            url,
            "select customer_id, month, product_family, month_end_balance"
            " from marts.fct_account_balance_monthly",
        ),
        "transactions": frame(url, "select customer_id, month from marts.fct_transactions"),
    }


def expected_lifecycle(inputs: dict[str, pd.DataFrame], rules: dict[str, Any]) -> pd.DataFrame:
    """One row per active customer-month with the stage inputs and the rule that fires."""
    k = int(rules["lifecycle_compare_months"])
    drop = Decimal(str(rules["lifecycle_decline_min_balance_drop"]))
    activity_drop = Decimal(str(rules["lifecycle_decline_min_activity_drop"]))
    growth = Decimal(str(rules["lifecycle_formation_min_balance_growth"]))
    exploration_tenure = int(rules["lifecycle_exploration_max_tenure_months"])
    exploration_products = int(rules["lifecycle_exploration_max_products"])
    formation_tenure = int(rules["lifecycle_formation_max_tenure_months"])
    families = set(dbt_vars()["aum_product_families"])

    dates = inputs["activity_dates"]["activity_date"]
    first, last = min(dates).replace(day=1), max(dates).replace(day=1)
    months = [first]
    while months[-1] < last:
        months.append(_add_months(months[-1], 1))

    active: dict[tuple[str, date], int] = {}
    for customer in inputs["customers"].itertuples():
        closed = None if pd.isna(customer.closed_date) else customer.closed_date
        for month in months:
            end = _month_end(month)
            if customer.onboarded_date <= end and (closed is None or closed >= month):
                active[(customer.customer_id, month)] = _whole_months(customer.onboarded_date, end)

    accounts_by_customer = {c: group for c, group in inputs["accounts"].groupby("customer_id")}
    balances = inputs["balances"][inputs["balances"]["product_family"].isin(families)]
    balance_sums: dict[tuple[str, date], Decimal] = {}
    for row in balances.itertuples():
        key = (row.customer_id, row.month)
        balance_sums[key] = balance_sums.get(key, Decimal(0)) + row.month_end_balance
    transaction_counts = inputs["transactions"].groupby(["customer_id", "month"]).size().to_dict()

    measures: dict[tuple[str, date], dict[str, Any]] = {}
    for (customer_id, month), tenure in active.items():
        end = _month_end(month)
        held = accounts_by_customer.get(customer_id, inputs["accounts"].iloc[0:0])
        held = held[
            (held["opened_date"] <= end)
            & held["closed_date"].apply(lambda closed, end=end: pd.isna(closed) or closed > end)
        ]
        measures[(customer_id, month)] = {
            "tenure_months": tenure,
            "product_count": held["product_code"].nunique(),
            "open_account_count": len(held),
            "total_balance": balance_sums.get((customer_id, month), Decimal(0)),
            "transaction_count": transaction_counts.get((customer_id, month), 0),
            "window_transaction_count": sum(
                transaction_counts.get((customer_id, _add_months(month, -i)), 0) for i in range(k)
            ),
            "previous": sum(
                transaction_counts.get((customer_id, _add_months(month, -i)), 0)
                for i in range(k, 2 * k)
            ),
        }

    rows = []
    for (customer_id, month), now in measures.items():
        comparison = measures.get((customer_id, _add_months(month, -k)))
        has_activity = (customer_id, _add_months(month, -(2 * k - 1))) in active
        base = comparison["total_balance"] if comparison else None
        base_products = comparison["product_count"] if comparison else None
        previous = now["previous"] if has_activity else None
        balance, window = now["total_balance"], now["window_transaction_count"]
        products = now["product_count"]
        if base is not None and base > 0 and balance <= base * (1 - drop):
            reason = "decline.balance_drop"
        elif base_products is not None and products < base_products:
            reason = "decline.products_drop"
        elif previous and window <= previous * (1 - activity_drop):
            reason = "decline.activity_drop"
        elif now["tenure_months"] < exploration_tenure and products <= exploration_products:
            reason = "exploration.new_few_products"
        elif base is not None and base > 0 and balance >= base * (1 + growth):
            reason = "formation.balance_growth"
        elif base_products is not None and products > base_products:
            reason = "formation.products_growth"
        elif now["tenure_months"] < formation_tenure:
            reason = "formation.young_relationship"
        else:
            reason = "stability.steady"
        rows.append(
            {
                "customer_id": customer_id,
                "month": month,
                "stage": reason.split(".")[0],
                "stage_reason": reason,
                **{key: value for key, value in now.items() if key != "previous"},
                "comparison_month": _add_months(month, -k) if comparison else None,
                "comparison_product_count": base_products,
                "comparison_total_balance": base,
                "balance_change_rate": float((balance - base) / base) if base else None,
                "previous_window_transaction_count": previous,
                "transaction_change_rate": (window - previous) / previous if previous else None,
            }
        )
    return pd.DataFrame(rows).set_index(["customer_id", "month"]).sort_index()


# --- Comparison ---------------------------------------------------------------------


def assert_matches(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    actual = actual.set_index(["customer_id", "month"]).sort_index()
    assert list(actual.index) == list(expected.index), "customer-months differ"
    mismatched = actual.index[actual["stage_reason"] != expected["stage_reason"]]
    assert mismatched.empty, (
        f"{len(mismatched)} stages differ, e.g. {list(mismatched[:5])}: "
        f"{actual.loc[mismatched[:5], 'stage_reason'].tolist()} != "
        f"{expected.loc[mismatched[:5], 'stage_reason'].tolist()}"
    )
    assert (actual["stage"] == expected["stage"]).all()
    for column in INTEGER_COLUMNS:
        left = actual[column].astype("Int64")
        right = expected[column].astype("Int64")
        assert left.equals(right), column
    assert (actual["comparison_month"].isna() == expected["comparison_month"].isna()).all()
    known = expected["comparison_month"].notna()
    assert (actual.loc[known, "comparison_month"] == expected.loc[known, "comparison_month"]).all()
    for column in ["total_balance", "comparison_total_balance"]:
        for left, right in zip(actual[column], expected[column], strict=True):
            if right is None or pd.isna(right):
                assert left is None or pd.isna(left), column
            else:
                assert abs(left - right) <= HALF_CENT, (column, left, right)
    for column in ["balance_change_rate", "transaction_change_rate"]:
        left, right = actual[column].astype(float), expected[column].astype(float)
        assert (left.isna() == right.isna()).all(), column
        assert ((left - right).abs().fillna(0) <= RATE_TOLERANCE).all(), column


def test_lifecycle_stages_match_pandas(first_run, test_settings):
    url = test_settings.warehouse_url
    expected = expected_lifecycle(load_inputs(url), lifecycle_vars())
    actual = frame(url, "select * from marts.customer_lifecycle_monthly")
    assert_matches(actual, expected)

    # Same population as the tier mart.
    tiers = frame(url, "select customer_id, month from marts.customer_tier_monthly")
    assert set(map(tuple, tiers.to_numpy())) == set(expected.index)
    # Three months of data: no comparison month three months back exists.
    assert actual["comparison_month"].isna().all()
    assert set(actual["stage"]) <= {"exploration", "formation", "stability"}


@pytest.fixture
def warehouse_copy(first_run, test_settings, pg_admin_url) -> Iterator[str]:
    """A copy of the published test warehouse, dropped afterwards."""
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{COPY_DATABASE}" with (force)')
        for attempt in range(10):
            try:
                conn.execute(f'create database "{COPY_DATABASE}" template warehouse')
                break
            except psycopg.errors.ObjectInUse:
                if attempt == 9:
                    raise
                time.sleep(2)
    try:
        yield sibling_database_url(test_settings.warehouse_url, COPY_DATABASE)
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{COPY_DATABASE}" with (force)')


def test_lifecycle_comparisons_match_pandas(warehouse_copy, tmp_path: Path):
    rules = lifecycle_vars(lifecycle_compare_months=1)
    dbt = str(Path(sys.executable).parent / "dbt")
    command = [
        dbt, "run", "--profiles-dir", str(DBT_PROJECT_DIR), "--project-dir",
        str(DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target"), "--log-path",
        str(tmp_path / "logs"), "--select", "+customer_lifecycle_monthly",
        "--vars", yaml.safe_dump({"lifecycle_compare_months": 1}),
    ]  # fmt: skip
    env = {**os.environ, **dbt_env(warehouse_copy), "DO_NOT_TRACK": "1"}
    result = subprocess.run(
        command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:]

    # Inputs from the published schema of the copy; the mart from the fresh build.
    expected = expected_lifecycle(load_inputs(warehouse_copy), rules)
    actual = frame(warehouse_copy, "select * from marts_build.customer_lifecycle_monthly")
    assert_matches(actual, expected)

    # The comparisons did fire: September and October have comparison months, and
    # more than the no-comparison reasons occur.
    assert actual["comparison_month"].notna().sum() > len(actual) / 2
    reasons = set(actual["stage_reason"])
    assert {"decline.balance_drop", "formation.balance_growth"} <= reasons, reasons
