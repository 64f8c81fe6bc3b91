"""Every relative link in the project's Markdown reaches a file, and every
``#anchor`` a heading of it, as a code host renders them: the README points
into docs/ and docs/ back into the README, and sections move."""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

import pytest

from cvw.config import PROJECT_ROOT

# Generated or installed trees hold Markdown the project does not write.
NOT_OURS = {".git", ".venv", ".venv-bi", ".state", "dbt_packages", "target", "logs", "node_modules"}
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def _markdown_files() -> list[Path]:
    found = []
    for folder, subfolders, files in os.walk(PROJECT_ROOT):
        # Pruned, not filtered afterwards: the virtualenvs alone hold tens of thousands of files.
        subfolders[:] = [name for name in subfolders if name not in NOT_OURS]
        found += [Path(folder) / name for name in files if name.endswith(".md")]
    return sorted(found)


def github_anchor(heading: str) -> str:
    """The anchor a code host gives a heading: lower case, punctuation other
    than hyphens and underscores dropped, spaces to hyphens."""
    text = heading.replace("`", "").lower()
    text = "".join(char for char in text if char.isalnum() or char in " -_")
    return text.replace(" ", "-")


@cache
def _anchors_of(path: Path) -> set[str]:
    return anchors(path.read_text())


def anchors(markdown: str) -> set[str]:
    found: set[str] = set()
    for heading in HEADING.findall(FENCE.sub("", markdown)):
        anchor = github_anchor(heading)
        suffix = 1
        unique = anchor
        while unique in found:
            unique = f"{anchor}-{suffix}"
            suffix += 1
        found.add(unique)
    return found


def broken_links(path: Path) -> list[str]:
    broken = []
    for target in LINK.findall(FENCE.sub("", path.read_text())):
        if re.match(r"^[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            broken.append(f"{target}: no file {linked}")
        elif anchor and linked.suffix == ".md" and anchor not in _anchors_of(linked):
            broken.append(f"{target}: no heading with anchor #{anchor} in {linked.name}")
    return broken


def test_the_anchors_are_the_ones_a_code_host_makes() -> None:
    assert github_anchor("What gets published (schema `marts`)") == (
        "what-gets-published-schema-marts"
    )
    assert github_anchor("Bank scale: the benchmark") == "bank-scale-the-benchmark"
    assert anchors("# A\n```\n# not a heading\n```\n## A\n") == {"a", "a-1"}


def test_a_broken_link_is_reported(tmp_path: Path) -> None:
    (tmp_path / "OTHER.md").write_text("## Kept heading\n")
    page = tmp_path / "PAGE.md"
    page.write_text(
        "[ok](OTHER.md#kept-heading) [gone](MISSING.md) [moved](OTHER.md#moved-heading)\n"
        "```\n[in code](NOWHERE.md)\n```\n"
    )
    assert broken_links(page) == [
        f"MISSING.md: no file {tmp_path / 'MISSING.md'}",
        "OTHER.md#moved-heading: no heading with anchor #moved-heading in OTHER.md",
    ]


@pytest.mark.parametrize(
    "path", _markdown_files(), ids=lambda path: str(path.relative_to(PROJECT_ROOT))
)
def test_every_relative_link_resolves(path: Path) -> None:
    assert broken_links(path) == []
