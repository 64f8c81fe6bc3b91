"""dbt's unit tests, and the mart constraints that replaced not_null data tests.

The nightly build leaves the unit tests out (cvw.config.DBT_NIGHTLY_BUILD_FLAGS),
so they run here, against the shared run's warehouse: a unit test reads the
column types of its model's inputs from the built relations. They run as the
administrator with the published marts as inputs (var ``marts_schema``), as
`make docs` reads them; the transformer cannot read the published marts, and a
unit test writes nothing. The required columns of the marts are `not null` in
the tables themselves (contract constraints), so they are checked against the
published tables' catalog.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from cvw import runner
from cvw.config import dbt_env
from tests.integration.frames import DBT_PROJECT_DIR, frame, mart_docs

pytestmark = pytest.mark.integration


def test_every_dbt_unit_test_passes(first_run, test_settings, tmp_path):
    assert first_run.succeeded, first_run.failed_tasks()
    target = tmp_path / "target"
    result = subprocess.run(
        [
            *runner.dbt_args(test_settings, "test --select test_type:unit", target),
            *["--vars", "{marts_schema: marts}"],
        ],
        cwd=DBT_PROJECT_DIR,
        env={**runner.tool_env(test_settings), **dbt_env(test_settings.warehouse_url)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    declared = json.loads((target / "manifest.json").read_text())["unit_tests"]
    outcomes = {
        outcome["unique_id"]: outcome["status"]
        for outcome in json.loads((target / "run_results.json").read_text())["results"]
        if outcome["unique_id"].startswith("unit_test.")
    }
    assert declared
    assert outcomes == dict.fromkeys(declared, "pass")


def _declared_not_null_columns() -> set[tuple[str, str]]:
    return {
        (model["name"], column["name"])
        for model in mart_docs()
        for column in model.get("columns", [])
        if any(constraint["type"] == "not_null" for constraint in column.get("constraints", []))
    }


def test_published_marts_refuse_nulls_exactly_where_the_docs_require_values(
    first_run, test_settings
):
    assert first_run.succeeded, first_run.failed_tasks()
    declared = _declared_not_null_columns()
    in_tables = frame(
        test_settings.warehouse_url,
        "select table_name, column_name from information_schema.columns"
        " where table_schema = 'marts' and is_nullable = 'NO'",
    )
    assert len(declared) > 100
    assert set(in_tables.itertuples(index=False, name=None)) == declared
