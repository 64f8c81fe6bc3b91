"""The work each pipeline task does, callable from Airflow tasks, scripts and tests.

Airflow tasks stay thin: they resolve connections and the run's moment, then
call these functions. Connections come from Airflow (``AIRFLOW_CONN_<ID>``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

if TYPE_CHECKING:
    from expectations.report import ValidationReport

# One connection per component role (cvw.access).
LOADER_CONN_ID = "warehouse_loader"
TRANSFORMER_CONN_ID = "warehouse_transformer"
PUBLISHER_CONN_ID = "warehouse_publisher"
# The BI reader role (MARTS_READER_ROLE): the finance pack reads what BI reads.
MARTS_READER_CONN_ID = "warehouse_marts_reader"
CORE_BANKING_CONN_ID = "core_banking"
CRM_API_CONN_ID = "crm_api"


@dataclass(frozen=True)
class RunMoment:
    """The logical date a run lands under and the end of its extraction window."""

    logical_date: date
    window_end: datetime

    @classmethod
    def of(cls, moment: datetime) -> RunMoment:
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
        return cls(logical_date=moment.date(), window_end=moment)


def postgres_url(conn_id: str) -> str:
    """A libpq URL for an Airflow connection (hooks hand back SQLAlchemy URLs)."""
    from airflow.sdk import BaseHook

    conn = BaseHook.get_connection(conn_id)
    credentials = quote(conn.login or "postgres", safe="")
    if conn.password:
        credentials += ":" + quote(conn.password, safe="")
    # Connection options such as passfile or sslmode travel as the extras.
    options = urlencode({key: str(value) for key, value in conn.extra_dejson.items()})
    query = f"?{options}" if options else ""
    return f"postgresql://{credentials}@{conn.host}:{conn.port or 5432}/{conn.schema}{query}"


def http_base_url_and_token(conn_id: str) -> tuple[str, str]:
    """The base URL of an HTTP API and the bearer token kept as its connection's password."""
    from airflow.sdk import BaseHook

    conn = BaseHook.get_connection(conn_id)
    path = f"/{conn.schema.strip('/')}" if conn.schema else ""
    base_url = f"{conn.conn_type or 'http'}://{conn.host}:{conn.port or 80}{path}"
    return base_url, conn.password or ""


def erp_export_dir() -> Path:
    from cvw.config import load_settings

    return load_settings().erp_export_dir


def record_quality_check(
    warehouse_url: str, logical_date: date, stage: str, report: ValidationReport
) -> None:
    """Keep every gate's outcome, passed or failed, for operators and the run summary."""
    import psycopg

    # The table is part of the warehouse's setup (cvw.access).
    with psycopg.connect(warehouse_url) as conn:
        conn.execute(
            "insert into warehouse_meta.quality_checks (logical_date, stage, success,"
            " expectations_evaluated, expectations_failed, failures)"
            " values (%s, %s, %s, %s, %s, %s)",
            (
                logical_date,
                stage,
                report.success,
                report.evaluated,
                len(report.failed),
                list(report.failed),
            ),
        )


def check_source_freshness(dbt_project_dir: Path, parsed_target: Path) -> None:
    """Run ``dbt source freshness``; an error-level stale source fails the task.

    It writes to a target of its own, so it never races the build's; the
    partial-parse file of ``parsed_target`` (where the run's ``dbt parse``
    wrote) saves it a full parse, 7 s of its 10 s at M. dbt parses in full
    when the project has changed since.
    """
    import shutil
    import tempfile

    from dbt.artifacts.schemas.freshness import FreshnessNodeResult, FreshnessResult
    from dbt.cli.main import dbtRunner
    from dbt.contracts.graph.nodes import SourceDefinition

    from cvw.config import POSTGRES_TARGET

    with tempfile.TemporaryDirectory(prefix="dbt_freshness_") as target:
        parsed = parsed_target / "partial_parse.msgpack"
        if parsed.exists():
            shutil.copy(parsed, target)
        result = dbtRunner().invoke(
            [
                "source", "freshness",
                "--project-dir", str(dbt_project_dir),
                "--profiles-dir", str(dbt_project_dir),
                "--target-path", target,
                "--target", POSTGRES_TARGET,
            ]
        )  # fmt: skip
    if not result.success:
        outcomes: Sequence[FreshnessNodeResult] = (
            result.result.results if isinstance(result.result, FreshnessResult) else ()
        )
        stale = [
            f"{outcome.node.source_name}.{outcome.node.name}: {outcome.status}"
            for outcome in outcomes
            if isinstance(outcome.node, SourceDefinition)
            and str(outcome.status) not in {"pass", "warn"}
        ]
        raise RuntimeError(f"source freshness failed: {', '.join(stale) or result.exception}")
