"""The ledger of ERP export folders, so every delivered folder is loaded exactly once.

``raw_meta.erp_exports`` holds one row per folder the loader has decided on:

- ``loaded``: its rows are in the ``raw_erp`` batches of ``logical_date``
  (``batch_ids``);
- ``skipped_duplicate``: its files are those of a folder already loaded
  (``duplicate_of``, same ``content_sha256``): the same export delivered twice
  under another name is not loaded twice;
- ``rejected``: it failed its checks (``reason``); every run checks it again,
  so a corrected redelivery under the same name loads.

A folder without ``manifest.json`` is still being delivered (pending) and has
no row yet. The first run that finds a folder complete decides it, whatever its
name or date, so an export arriving after a later one is loaded the next night.
A folder name is decided once: a corrected export must come under a new name.
A rerun of a logical date decides that date's folders again, as its batches
are replaced.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psycopg

from cvw.extract.erp_files import MANIFEST, ExportError, ExportFolder, validate_export

LEDGER_DDL = """
create table if not exists raw_meta.erp_exports (
    folder_name text primary key,
    content_sha256 text,
    status text not null check (status in ('loaded', 'skipped_duplicate', 'rejected')),
    reason text,
    duplicate_of text,
    logical_date date not null,
    batch_ids text[] not null default '{}',
    recorded_at timestamptz not null default now()
);
"""


@dataclass(frozen=True)
class Decision:
    """What a run decided about one folder other than loading it."""

    folder_name: str
    status: str  # skipped_duplicate | rejected
    reason: str
    content_sha256: str | None = None
    duplicate_of: str | None = None


@dataclass
class ExportPlan:
    """The folders one run loads, skips or rejects, and those still being delivered."""

    to_load: list[ExportFolder] = field(default_factory=list)
    not_loaded: list[Decision] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)

    def report(self) -> list[str]:
        """Progress lines: what loads, then every folder that does not and why."""
        loaded = ", ".join(export.name for export in self.to_load) or "none"
        lines = [f"ERP export folders loaded in this run: {loaded}"]
        lines += [f"ERP export folder {name}: pending, no {MANIFEST} yet" for name in self.pending]
        lines += [
            f"ERP export folder {d.folder_name}: {d.status}, {d.reason}" for d in self.not_loaded
        ]
        return lines


def ensure_ledger(conn: psycopg.Connection) -> None:
    conn.execute("select pg_advisory_xact_lock(hashtext('cvw.erp_exports'))")
    conn.execute(LEDGER_DDL)


def settled_folders(conn: psycopg.Connection, logical_date: date) -> dict[str, tuple[str, str]]:
    """Folders loaded or skipped by other dates' runs: name -> (status, content SHA-256)."""
    rows = conn.execute(
        "select folder_name, status, content_sha256 from raw_meta.erp_exports"
        " where status in ('loaded', 'skipped_duplicate') and logical_date <> %s",
        (logical_date,),
    ).fetchall()
    return {name: (status, sha) for name, status, sha in rows}


def plan_exports(conn: psycopg.Connection, export_dir: Path, logical_date: date) -> ExportPlan:
    """Decide each folder of ``export_dir`` no other date's run has settled, by name order."""
    settled = settled_folders(conn, logical_date)
    loaded_by_content = {sha: name for name, (status, sha) in settled.items() if status == "loaded"}
    plan = ExportPlan()
    for path in sorted(export_dir.iterdir()):
        if path.name.startswith(".") or path.name in settled:
            continue
        if not path.is_symlink() and path.is_dir() and not os.path.lexists(path / MANIFEST):
            plan.pending.append(path.name)
            continue
        try:
            if not path.is_symlink() and not path.is_dir():
                raise ExportError(f"{path.name}: not a folder; exports are delivered as folders")
            export = validate_export(path)
        except ExportError as error:
            plan.not_loaded.append(Decision(path.name, "rejected", str(error)))
            continue
        original = loaded_by_content.get(export.content_sha256)
        if original is not None:
            reason = f"the same files as {original} (content SHA-256 {export.content_sha256[:12]})"
            plan.not_loaded.append(
                Decision(path.name, "skipped_duplicate", reason, export.content_sha256, original)
            )
            continue
        loaded_by_content[export.content_sha256] = export.name
        plan.to_load.append(export)
    return plan


def record_plan(
    conn: psycopg.Connection, plan: ExportPlan, logical_date: date, batch_ids: Iterable[str]
) -> None:
    """Write the run's decisions, replacing what an earlier run of the same date decided."""
    batch_ids = list(batch_ids)
    upsert = (
        "insert into raw_meta.erp_exports (folder_name, content_sha256, status, reason,"
        " duplicate_of, logical_date, batch_ids) values (%s, %s, %s, %s, %s, %s, %s)"
        " on conflict (folder_name) do update set content_sha256 = excluded.content_sha256,"
        " status = excluded.status, reason = excluded.reason,"
        " duplicate_of = excluded.duplicate_of, logical_date = excluded.logical_date,"
        " batch_ids = excluded.batch_ids, recorded_at = now()"
    )
    with conn.transaction():
        conn.execute("delete from raw_meta.erp_exports where logical_date = %s", (logical_date,))
        with conn.cursor() as cursor:
            cursor.executemany(
                upsert,
                [
                    (e.name, e.content_sha256, "loaded", None, None, logical_date, batch_ids)
                    for e in plan.to_load
                ]
                + [
                    (d.folder_name, d.content_sha256, d.status, d.reason, d.duplicate_of,
                     logical_date, [])
                    for d in plan.not_loaded
                ],
            )  # fmt: skip
