"""A mart whose columns stop matching its contract fails the build before it is written.

A copy of the dbt project is changed the way a careless edit would change it: one
mart's SQL returns a column with another type, another renames a column. Three
marts are then built from the copy, by the transformer role, into a scratch
schema (var ``marts_schema``), so the shared build and published schemas are never
touched. The unchanged third mart is the control: it builds, with the column
types its contract declares.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from cvw import runner
from tests.integration.frames import DBT_PROJECT_DIR, frame, mart_docs

pytestmark = pytest.mark.integration

SCRATCH_SCHEMA = "contract_check"
# dim_product.term_months is an integer in the contract; the changed SQL makes it numeric.
RETYPED = ("dim_product", "core", "term_months", "cast(term_months as numeric)")
# customer_source_links.outcome is renamed in the changed SQL.
RENAMED = ("customer_source_links", "identity", "outcome", "match_outcome")
UNCHANGED = "dim_branch"


def _contract_columns(model: str) -> list[dict[str, Any]]:
    """The model's documented columns, read from the project's yml files."""
    for node in mart_docs():
        if node["name"] == model:
            return node["columns"]
    raise AssertionError(f"{model} is not documented")


def _rewrite_final_select(model_sql: Path, select_list: list[str]) -> None:
    """Replace the model's closing `select * from final` with an explicit select list."""
    head, final_select, tail = model_sql.read_text().rpartition("select * from final")
    assert final_select, model_sql
    model_sql.write_text(
        head + "select\n    " + ",\n    ".join(select_list) + "\nfrom final" + tail
    )


def _changed_project(root: Path) -> Path:
    project = root / "dbt_project"
    shutil.copytree(
        DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    model, area, column, expression = RETYPED
    _rewrite_final_select(
        project / "models" / "marts" / area / f"{model}.sql",
        [
            f"{expression} as {column}" if entry["name"] == column else entry["name"]
            for entry in _contract_columns(model)
        ],
    )
    model, area, column, new_name = RENAMED
    _rewrite_final_select(
        project / "models" / "marts" / area / f"{model}.sql",
        [
            f"{column} as {new_name}" if entry["name"] == column else entry["name"]
            for entry in _contract_columns(model)
        ],
    )
    return project


def _scratch_columns(warehouse_url: str, table: str) -> list[tuple[str, str]]:
    rows = frame(
        warehouse_url,
        """
        select attname as column_name, format_type(atttypid, atttypmod) as data_type
        from pg_attribute
        where attrelid = to_regclass(%s) and attnum > 0 and not attisdropped
        order by attnum
        """,
        (f"{SCRATCH_SCHEMA}.{table}",),
    )
    return list(rows.itertuples(index=False, name=None))


@pytest.fixture(scope="module")
def changed_build(first_run, test_settings, tmp_path_factory) -> Iterator[str]:
    """Build the three marts from the changed copy; dbt's output."""
    assert first_run.succeeded, first_run.failed_tasks()
    project = _changed_project(tmp_path_factory.mktemp("contracts"))
    models = f"{RETYPED[0]} {RENAMED[0]} {UNCHANGED}"
    command = [
        *runner.dbt_args(test_settings, f"run --select {models}", project / "target"),
        *["--vars", f"{{marts_schema: {SCRATCH_SCHEMA}}}"],
    ]
    try:
        result = subprocess.run(
            command,
            cwd=project,
            env=runner.tool_env(test_settings),
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode != 0, "the build passed with two broken contracts"
        yield result.stdout + result.stderr
    finally:
        with psycopg.connect(test_settings.warehouse_url, autocommit=True) as conn:
            conn.execute(f"drop schema if exists {SCRATCH_SCHEMA} cascade")


def _contract_error_rows(output: str, model: str) -> list[list[str]]:
    """The rows of the table dbt prints when the model's contract fails."""
    start = output.find(f"Compilation Error in model {model} ")
    assert start >= 0, f"no compilation error reported for {model}:\n{output}"
    error = output[start : output.find("> in macro", start)]
    assert "This model has an enforced contract that failed." in error
    lines = [line.strip() for line in error.splitlines() if line.strip().startswith("|")]
    # Header, separator, then one row per mismatching column.
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def test_a_changed_column_type_fails_the_build_before_the_mart_is_written(
    changed_build, test_settings
):
    model, _, column, _ = RETYPED
    assert _contract_error_rows(changed_build, model) == [
        [column, "DECIMAL", "INTEGER", "data type mismatch"]
    ]
    assert _scratch_columns(test_settings.warehouse_url, model) == []


def test_a_renamed_column_fails_the_build_before_the_mart_is_written(changed_build, test_settings):
    model, _, column, new_name = RENAMED
    assert sorted(_contract_error_rows(changed_build, model)) == [
        [new_name, "TEXT", "", "missing in contract"],
        [column, "", "TEXT", "missing in definition"],
    ]
    assert _scratch_columns(test_settings.warehouse_url, model) == []


def test_an_unchanged_mart_builds_with_the_types_its_contract_declares(
    changed_build, test_settings
):
    assert f"Compilation Error in model {UNCHANGED} " not in changed_build
    declared = [(column["name"], column["data_type"]) for column in _contract_columns(UNCHANGED)]
    assert declared
    assert _scratch_columns(test_settings.warehouse_url, UNCHANGED) == declared
