"""What the pipeline shares with dbt, read from the dbt project's vars.

A gate that checks a business rule (the premium tier's share, say) takes its
threshold from the same dbt var the model uses, so changing the rule in
``dbt_project/dbt_project.yml`` moves the model and its gate together. The
schema dbt builds the marts in (``marts_build_schema``) is defined there too,
for the gate, the grants and the publish.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DBT_PROJECT_FILE = Path(__file__).resolve().parents[2] / "dbt_project" / "dbt_project.yml"


def dbt_var(name: str, project_file: Path | None = None) -> Any:
    """The value of dbt var ``name`` as ``project_file`` (the project's own) defines it."""
    path = project_file or DBT_PROJECT_FILE
    variables = yaml.safe_load(path.read_text()).get("vars") or {}
    if name not in variables:
        raise KeyError(f"dbt var {name!r} is not defined in {path}")
    return variables[name]


def marts_build_schema() -> str:
    """The schema dbt builds the marts in and the publish renames to ``marts``."""
    return str(dbt_var("marts_build_schema"))
