"""Call a project dbt macro outside dbt, to run the SQL it writes on a test database.

The macros under ``dbt_project/macros/`` are plain Jinja; rendering one here
with the same arguments gives exactly the SQL dbt would put into a model.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2

MACRO_DIR = Path(__file__).resolve().parents[1] / "dbt_project" / "macros"


def project_macro(
    relative_path: str, name: str, dbt_vars: dict[str, Any] | None = None
) -> Callable[..., str]:
    """The macro ``name`` of ``macros/<relative_path>``; ``var()`` answers from ``dbt_vars``.

    A macro that dispatches on the adapter is called in its PostgreSQL form,
    ``default__<name>``: the SQL these tests run on a PostgreSQL database.
    """
    values = dbt_vars or {}
    # dbt renders with the `do` statement on; macros that use it parse only with it.
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.do"])
    template = environment.from_string(
        (MACRO_DIR / relative_path).read_text(), globals={"var": values.__getitem__}
    )
    macro = getattr(template.module, f"default__{name}", None) or getattr(template.module, name)
    return lambda *args: str(macro(*args))
