"""What a run did, read back from the warehouse's own logs: the closing report of
``cvw run``, ``cvw demo`` and ``cvw summary``."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import psycopg

from cvw.config import Settings
from cvw.db_rows import one_value
from cvw.marts_reader import Fetch, postgres_fetch
from cvw.runner import TaskError


def dbt_node_counts(manifest_path: Path) -> dict[str, int]:
    manifest = json.loads(manifest_path.read_text())
    project = manifest["metadata"]["project_name"]
    counts: dict[str, int] = {}
    for node in manifest["nodes"].values():
        if node["package_name"] == project:
            counts[node["resource_type"]] = counts.get(node["resource_type"], 0) + 1
    return counts


def portfolio_headlines(fetch: Fetch) -> list[str]:
    """Concentration and churn of the latest published month, for the closing report."""
    concentration = fetch(
        "select month, customers, top_4pct_share, gini from marts.contribution_concentration"
        " order by month desc limit 1",
        {},
    )
    if not concentration:
        return []
    latest = concentration[0]
    month = latest["month"]
    lines = [
        f"Portfolio in {month:%Y-%m}: the top 4% of {latest['customers']:,} positive"
        f" contributors hold {latest['top_4pct_share']:.1%} of 12-month contribution"
        f" (Gini {latest['gini']:.3f})"
    ]
    churn = fetch(
        "select horizon_months, segment, logo_retention_rate, annualised_churn_rate,"
        " is_churn_alarm from marts.customer_retention_monthly where month = %(month)s"
        " and horizon_months = (select max(horizon_months)"
        "   from marts.customer_retention_monthly where month = %(month)s)"
        " order by segment = 'all' desc, annualised_churn_rate desc, segment",
        {"month": month},
    )
    for row in churn:
        flag = "  ALARM" if row["is_churn_alarm"] else ""
        lines.append(
            f"  {row['segment']:<11} {row['horizon_months']}-month logo retention"
            f" {row['logo_retention_rate']:.1%},"
            f" annualised churn {row['annualised_churn_rate']:.1%}{flag}"
        )
    return lines


def render(
    warehouse_url: str,
    logical_date: date,
    manifest_path: Path,
    dbt_tasks: int | None,
    finance_pack: Path | None = None,
) -> str:
    lines = [f"Run for logical date {logical_date}"]
    with psycopg.connect(warehouse_url) as conn:
        lines.append("Rows extracted (loaded / quarantined) per source table:")
        for system, table, loaded, quarantined in conn.execute(
            "select source_system, table_name, rows_loaded, rows_quarantined"
            " from raw_meta.load_batches where logical_date = %s"
            " order by source_system, table_name",
            (logical_date,),
        ):
            lines.append(f"  {f'raw_{system}.{table}':<44} {loaded:>10,} / {quarantined:,}")
        counts = dbt_node_counts(manifest_path)
        tasks = "" if dbt_tasks is None else f" built in {dbt_tasks} Airflow tasks"
        lines.append(
            f"dbt: {counts.get('model', 0)} models, {counts.get('seed', 0)} seeds,"
            f" {counts.get('test', 0)} data tests{tasks}"
        )
        for stage, success, evaluated, failed in conn.execute(
            "select distinct on (stage) stage, success, expectations_evaluated,"
            " expectations_failed from warehouse_meta.quality_checks where logical_date = %s"
            " order by stage, checked_at desc",
            (logical_date,),
        ):
            verdict = "passed" if success else f"FAILED ({failed} failed)"
            lines.append(f"Great Expectations {stage}: {evaluated} expectations {verdict}")
        publication = conn.execute(
            "select published_at, table_row_counts, engine from warehouse_meta.publications"
            " order by publication_id desc limit 1"
        ).fetchone()
        if publication is None:
            headlines = []
        elif publication[2] == "spark":
            from cvw.spark import run_step

            headlines = run_step("headlines", logical_date)["lines"]
        else:
            headlines = portfolio_headlines(postgres_fetch(conn))
    if publication is None:
        lines.append("Nothing has been published yet.")
    else:
        published_at, table_counts, engine = publication
        where = "Spark database marts" if engine == "spark" else "schema marts"
        lines.append(f"Published to {where} at {published_at:%Y-%m-%d %H:%M:%S %Z}:")
        for table, rows in sorted(table_counts.items()):
            lines.append(f"  {f'marts.{table}':<44} {rows:>10,} rows")
        lines.extend(headlines)
    if finance_pack is not None:
        written = "" if finance_pack.is_file() else " (not written)"
        lines.append(f"Monthly finance pack: {finance_pack}{written}")
    return "\n".join(lines)


def published_summary(settings: Settings) -> str:
    """The closing report of the latest published night, for ``cvw summary``."""
    manifest = settings.dbt_target_path / "manifest.json"
    if not manifest.is_file():
        raise RuntimeError(f"no dbt manifest at {manifest}; run the pipeline first (cvw run)")
    with psycopg.connect(settings.warehouse_url) as conn:
        latest = one_value(
            conn.execute("select max(logical_date) from warehouse_meta.publications")
        )
    if latest is None:
        return "Nothing has been published yet."
    return render(
        settings.warehouse_url, latest, manifest, None, settings.finance_pack_path(latest)
    )


def render_failed_run(
    state: str, task_states: Mapping[str, str], errors: Mapping[str, TaskError], log_path: Path
) -> str:
    """What went wrong in a failed run: each failed task, its error and where to read more.

    Written for the terminal, not for a parser: one block per failed task with the
    first line of its error and the log position, then a count of the tasks that
    never ran because of it.
    """
    failed = sorted(task for task, task_state in task_states.items() if task_state == "failed")
    if not task_states:
        return f"The DAG run ended {state} with no task recorded; log: {log_path}"
    lines = [f"The DAG run ended {state}: {len(failed)} failed task{'s' * (len(failed) != 1)}"]
    for task in failed:
        error = errors.get(task)
        lines.append(f"  {task}")
        if error is None:
            lines.append("    error: none logged (killed, timed out, or never started)")
            lines.append(f"    log:   {log_path}")
        else:
            lines.append(f"    error: {error.message}")
            lines.append(f"    log:   {log_path}, line {error.line_number}")
    others = Counter(
        task_state for task_state in task_states.values() if task_state not in ("success", "failed")
    )
    if others:
        counts = ", ".join(f"{count} {name}" for name, count in sorted(others.items()))
        lines.append(f"Not run or not finished: {counts}")
    return "\n".join(lines)
