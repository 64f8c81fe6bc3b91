"""The warehouse stands apart from the simulator and the demo harness, and one
``cvw`` command reaches all three."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from cvw import catalog
from cvw.config import PROJECT_ROOT
from cvw_sources import schema

# What a bank deploys: the package, its DAG and its quality gates.
PRODUCT = [PROJECT_ROOT / "src" / "cvw", PROJECT_ROOT / "dags", PROJECT_ROOT / "expectations"]
OUTSIDE_THE_PRODUCT = ("cvw_sources", "cvw_demo")


def _imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


@pytest.mark.parametrize("folder", PRODUCT, ids=lambda folder: folder.name)
def test_the_product_imports_nothing_from_the_simulator_or_the_demo(folder: Path) -> None:
    files = sorted(folder.rglob("*.py"))
    assert files
    offending = {
        f"{path.relative_to(PROJECT_ROOT)}: {module}"
        for path in files
        for module in _imported_modules(path)
        if module.split(".")[0] in OUTSIDE_THE_PRODUCT
    }
    assert offending == set()


def test_a_file_importing_the_simulator_would_be_caught(tmp_path: Path) -> None:
    path = tmp_path / "leak.py"
    path.write_text("def f():\n    from cvw_sources.generate import generate\n")
    assert "cvw_sources.generate" in _imported_modules(path)


def test_the_simulated_layouts_are_what_the_warehouse_expects_today() -> None:
    """Two definitions on purpose (the source owns its layout); a change to one is drift."""
    for system, tables in (("core_banking", schema.CORE_BANKING), ("erp", schema.ERP),
                           ("crm", schema.CRM)):  # fmt: skip
        expected = {
            table.name: ([(c.name, c.type, c.nullable) for c in table.columns], table.primary_key)
            for table in catalog.tables_of(system)
        }
        sent = {
            table.name: ([(c.name, c.type, c.nullable) for c in table.columns], table.primary_key)
            for table in tables
        }
        assert sent == expected, system


def test_cvw_help_lists_every_subcommand() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cvw", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    listed = {line.split()[0] for line in result.stdout.splitlines() if line.startswith("    ")}
    expected = {
        *("run", "backfill", "summary", "docs", "db", "lake"),
        *("sources", "demo", "ui", "bench", "bi"),
    }
    assert listed == expected


@pytest.mark.parametrize(
    "arguments",
    [["run"], ["run", "--date", "2026-13-01"], ["backfill", "--from", "2026-11-02",
     "--to", "2026-11-01"], ["db", "url", "nobody"], ["no-such-command"]],
)  # fmt: skip
def test_cvw_rejects_bad_input_with_one_error_line_and_status_2(arguments: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cvw", *arguments], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
