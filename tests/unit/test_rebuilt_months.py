"""The first month a month table's build reads: its scope's month less the lookback.

rebuilt_months (dbt_project/macros/incremental/month_scope.sql) counts the
months itself, so both engines get a date literal; the expected dates here
are counted by hand on the calendar.
"""

from __future__ import annotations

import pytest

from tests.dbt_macros import project_macro

rebuilt_months = project_macro("incremental/month_scope.sql", "rebuilt_months")


@pytest.mark.parametrize(
    ("from_month", "lookback_months", "first_month"),
    [
        ("2026-10-01", 0, "2026-10-01"),
        ("2026-10-01", 6, "2026-04-01"),
        ("2026-10-01", 11, "2025-11-01"),
        ("2026-01-01", 1, "2025-12-01"),
        ("2026-12-01", 12, "2025-12-01"),
        ("2026-03-01", 27, "2023-12-01"),
    ],
)
def test_the_read_starts_lookback_months_before_the_first_rebuilt_month(
    from_month, lookback_months, first_month
):
    scope = {"full": False, "from_month": from_month}
    assert rebuilt_months(scope, "month", lookback_months) == f"month >= date '{first_month}'"


def test_a_whole_build_reads_every_month_and_a_kept_table_none():
    assert rebuilt_months({"full": True, "from_month": None}, "month", 11) == "true"
    assert rebuilt_months({"full": False, "from_month": None}, "month", 11) == "false"
