"""Pick up ERP/finance CSV exports: one folder per export, each loaded exactly once.

The ledger (``cvw.extract.erp_ledger``) decides which complete folders a run
loads: every folder not loaded yet, whatever its date, so an export delivered
late still lands, and the same export delivered twice under another name is
skipped with a warning. Each folder is checked end to end against its manifest
before any of it is loaded (``cvw.extract.erp_files``); a folder that fails is
rejected with its reason, listed with the pending ones in the run's
progress, and fails the extract once the other folders are landed, so nothing
is published while a delivery is broken. The batch log keeps one batch per
table and logical date, so a rerun of a date replaces its landing with the
same folders.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import psycopg

from cvw.catalog import SourceTable
from cvw.extract.erp_files import (
    ExportError,
    ExportFolder,
    manifest_entry,
    read_export_file,
)
from cvw.extract.erp_ledger import ensure_ledger, plan_exports, record_plan
from cvw.landing import Batch, ensure_raw_tables, land_system, replace_batch, window_for
from cvw.records import RecordError

logger = logging.getLogger("cvw.extract.erp")

__all__ = ["ExportError", "extract_erp"]


def extract_table(
    warehouse: psycopg.Connection,
    exports: list[ExportFolder],
    source: SourceTable,
    logical_date: date,
    window_end: datetime,
) -> Batch:
    window = window_for(warehouse, source, logical_date, window_end)
    with replace_batch(warehouse, source, logical_date, window) as batch:

        def land(locator: str, row: tuple[Any, ...] | RecordError, record: dict[str, str]) -> None:
            if isinstance(row, RecordError):
                batch.quarantine(locator, str(row), json.dumps(record))
            else:
                batch.write_row(row)

        for export in exports:
            entry = manifest_entry(export.path, export.manifest, source)
            read_export_file(export.path, source, entry, land)
    return batch


def extract_erp(
    warehouse_url: str,
    export_dir: Path,
    logical_date: date,
    window_end: datetime,
    progress: Callable[[str], None] = print,
) -> list[Batch]:
    if not export_dir.is_dir():
        raise ExportError(f"ERP export directory {export_dir} does not exist")
    with psycopg.connect(warehouse_url) as warehouse:
        ensure_raw_tables(warehouse)
        ensure_ledger(warehouse)
        warehouse.commit()
        plan = plan_exports(warehouse, export_dir, logical_date)
    for decision in plan.not_loaded:
        logger.warning("ERP export folder %s not loaded: %s", decision.folder_name, decision.reason)
    batches = land_system(
        warehouse_url,
        "erp",
        lambda warehouse, source: extract_table(
            warehouse, plan.to_load, source, logical_date, window_end
        ),
        progress,
    )
    with psycopg.connect(warehouse_url) as warehouse:
        record_plan(warehouse, plan, logical_date, [batch.batch_id for batch in batches])
    for line in plan.report():
        progress(line)
    rejected = [d for d in plan.not_loaded if d.status == "rejected"]
    if rejected:
        # The good folders stay landed (a rerun replaces them), but a delivery that
        # failed its checks must block the publish like any failed check.
        raise ExportError(
            f"{len(rejected)} ERP export folder(s) rejected, the run stops before publishing: "
            + "; ".join(f"{d.folder_name}: {d.reason}" for d in rejected)
        )
    return batches
