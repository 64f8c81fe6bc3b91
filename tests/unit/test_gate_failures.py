"""Gate failures fail their task without retries; thresholds come from the dbt vars."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from airflow.sdk.exceptions import AirflowFailException

from cvw import dbt_vars
from cvw.dbt_vars import dbt_var
from cvw.task_failures import gate_failures_not_retried
from expectations import ValidationReport, raise_for_failures
from expectations.marts import max_premium_share, tier_expectations


def test_a_failed_gate_fails_without_retry_and_keeps_its_reason() -> None:
    report = ValidationReport(success=False, evaluated=7, failed=["marts.tier: share -> 1"])

    with pytest.raises(AirflowFailException) as raised:
        with gate_failures_not_retried():
            raise_for_failures(report)

    assert str(raised.value) == "1 of 7 expectations failed: marts.tier: share -> 1"


def test_a_passing_gate_raises_nothing() -> None:
    with gate_failures_not_retried():
        raise_for_failures(ValidationReport(success=True, evaluated=7))


def test_infrastructure_errors_pass_through_to_be_retried() -> None:
    refused = psycopg.OperationalError("connection to server at 127.0.0.1 failed: refused")

    with pytest.raises(psycopg.OperationalError) as raised:
        with gate_failures_not_retried():
            raise refused

    assert raised.value is refused
    assert not isinstance(raised.value, AirflowFailException)


def _project(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "dbt_project.yml"
    path.write_text(f"name: customer_value\nvars:\n{body}")
    return path


def test_dbt_var_reads_the_project_file(tmp_path: Path) -> None:
    project = _project(tmp_path, "  tier_premium_top_share: 0.125\n  ratings: [B, CCC]\n")

    assert dbt_var("tier_premium_top_share", project) == 0.125
    assert dbt_var("ratings", project) == ["B", "CCC"]
    with pytest.raises(KeyError, match=f"'churn_days' is not defined in {project}"):
        dbt_var("churn_days", project)


def test_dbt_var_defaults_to_the_project_in_this_repository() -> None:
    # README, "Business rules": premium is the top 5%, major the top 20%.
    assert dbt_var("tier_premium_top_share") == 0.05
    assert dbt_var("tier_major_top_share") == 0.20


def test_premium_share_gate_follows_the_dbt_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        dbt_vars, "DBT_PROJECT_FILE", _project(tmp_path, "  tier_premium_top_share: 0.125\n")
    )

    # Twice the var: 2 x 0.125.
    assert max_premium_share() == 0.25
    share_gate = tier_expectations()[-1]
    assert share_gate.description == "premium share of customers per month <= 0.25"
    assert "> 0.25" in share_gate.unexpected_rows_query
