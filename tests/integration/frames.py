"""Reading the warehouse and the dbt project's configuration into pandas."""

from __future__ import annotations

from typing import Any

import pandas as pd
import psycopg
import yaml

from cvw.config import PROJECT_ROOT

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def frame(url: str, query: str, params: tuple = ()) -> pd.DataFrame:
    """The rows of one query, with the query's column names."""
    with psycopg.connect(url) as conn:
        cursor = conn.execute(query, params)
        return pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description])


def scalar(url: str, query: str) -> Any:
    """The first column of the first row of one query."""
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchone()[0]


def dbt_vars() -> dict[str, Any]:
    """The vars of dbt_project.yml, as a build without --vars reads them."""
    return yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]


def mart_docs() -> list[dict[str, Any]]:
    """Every mart's model docs (name, columns, constraints), from the marts' yml files."""
    return [
        model
        for path in sorted((DBT_PROJECT_DIR / "models" / "marts").rglob("*.yml"))
        for model in yaml.safe_load(path.read_text()).get("models", [])
    ]
