"""The dbt docs site (``make docs``) describes the published marts and their contracts.

The expected marts are the model files under ``dbt_project/models/marts`` and
the expected columns and types are read from the published tables in
PostgreSQL's own catalog; neither comes from dbt's artifacts under test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cvw import runner
from cvw.runner import DagRunResult
from tests.integration.frames import DBT_PROJECT_DIR, frame

pytestmark = pytest.mark.integration

MART_FILES = sorted((DBT_PROJECT_DIR / "models" / "marts").rglob("*.sql"))
# Former mart names kept for one release as views over the renamed table.
DEPRECATED_ALIASES = {"fct_customer_contribution_monthly": "customer_contribution_monthly"}
MART_TABLES = {path.stem for path in MART_FILES} - set(DEPRECATED_ALIASES)


def _published_columns(warehouse_url: str, kind: str = "r") -> dict[str, list[tuple[str, str]]]:
    """Every published table's (or, kind ``v``, view's) (column, type) pairs in table
    order, from pg_catalog."""
    rows = frame(
        warehouse_url,
        """
        select tables.relname as table_name, columns.attname as column_name,
            format_type(columns.atttypid, columns.atttypmod) as data_type
        from pg_class as tables
        inner join pg_namespace as schemas on tables.relnamespace = schemas.oid
        inner join pg_attribute as columns on columns.attrelid = tables.oid
        where schemas.nspname = 'marts' and tables.relkind = %s
            and columns.attnum > 0 and not columns.attisdropped
        order by tables.relname, columns.attnum
        """,
        (kind,),
    )
    published: dict[str, list[tuple[str, str]]] = {}
    for row in rows.itertuples():
        published.setdefault(row.table_name, []).append((row.column_name, row.data_type))
    return published


@pytest.fixture(scope="module")
def docs_site(first_run: DagRunResult, test_settings) -> Path:
    assert first_run.succeeded, f"failed tasks: {first_run.failed_tasks()}; {first_run.log_path}"
    return runner.dbt_docs_generate(test_settings)


def _artifact(site: Path, name: str) -> dict[str, Any]:
    return json.loads((site / name).read_text())


def _mart_nodes(artifact: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The artifact's nodes of the mart models, by model name."""
    marts = MART_TABLES
    nodes = {
        key.split(".")[-1]: node
        for key, node in artifact["nodes"].items()
        if key.startswith("model.")
    }
    return {name: node for name, node in nodes.items() if name in marts}


def test_docs_site_is_built(docs_site):
    assert (docs_site / "index.html").is_file()
    assert MART_FILES, "no mart models found"


def test_catalog_has_every_published_mart_with_its_columns(docs_site, test_settings):
    published = _published_columns(test_settings.warehouse_url)
    catalog = _mart_nodes(_artifact(docs_site, "catalog.json"))

    assert set(published) == MART_TABLES
    assert set(catalog) == set(published)
    for name, node in catalog.items():
        assert node["metadata"]["schema"] == "marts", name
        columns = sorted(node["columns"].values(), key=lambda column: column["index"])
        assert [(column["name"], column["type"]) for column in columns] == published[name], name


def test_manifest_shows_every_mart_public_with_an_enforced_contract(docs_site, test_settings):
    published = _published_columns(test_settings.warehouse_url)
    manifest = _mart_nodes(_artifact(docs_site, "manifest.json"))

    assert set(manifest) == MART_TABLES
    for name, node in manifest.items():
        assert node["access"] == "public", name
        assert node["config"]["contract"]["enforced"] is True, name
        # The contract names every published column with the type it has in the table.
        contract = [(column["name"], column["data_type"]) for column in node["columns"].values()]
        assert contract == published[name], name


def test_a_former_mart_name_is_a_deprecated_view_with_the_columns_of_its_table(
    docs_site, test_settings
):
    tables = _published_columns(test_settings.warehouse_url)
    views = _published_columns(test_settings.warehouse_url, kind="v")
    nodes = {
        key.split(".")[-1]: node
        for key, node in _artifact(docs_site, "manifest.json")["nodes"].items()
        if key.startswith("model.")
    }

    assert set(views) == set(DEPRECATED_ALIASES)
    for alias, table in DEPRECATED_ALIASES.items():
        assert views[alias] == tables[table], alias
        assert nodes[alias]["deprecation_date"], alias
        assert nodes[alias]["access"] == "public", alias


def test_staging_and_intermediate_models_are_protected(docs_site):
    models = [
        node
        for node in _artifact(docs_site, "manifest.json")["nodes"].values()
        if node["resource_type"] == "model"
        and node["original_file_path"].startswith(("models/staging/", "models/intermediate/"))
    ]
    assert models
    assert {node["access"] for node in models} == {"protected"}
