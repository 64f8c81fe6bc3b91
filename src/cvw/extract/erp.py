"""Pick up ERP/finance CSV exports: one dated folder per export, checked against its manifest.

An export folder ``YYYY-MM-DD/`` is complete when its ``manifest.json`` exists;
the manifest gives, per file, the SHA-256, the data row count and control totals
(sums of money columns). A file is loaded only if all three agree with what was
read; a record that does not fit the catalog is quarantined with its reason and
still counts towards the control totals, so nothing is lost silently.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import psycopg

from cvw.catalog import SourceTable
from cvw.landing import Batch, land_system, replace_batch, window_for
from cvw.records import RecordError, money_columns, row_converter
from cvw.watermarks import Window


class ExportError(RuntimeError):
    """An export folder or file that must not be loaded as it is."""


def export_folders(export_dir: Path, window: Window) -> list[tuple[date, Path]]:
    """Export folders whose date falls inside the window, oldest first."""
    if not export_dir.is_dir():
        raise ExportError(f"ERP export directory {export_dir} does not exist")
    folders = []
    for path in sorted(export_dir.iterdir()):
        try:
            export_date = date.fromisoformat(path.name)
        except ValueError:
            continue
        moment = datetime(export_date.year, export_date.month, export_date.day, tzinfo=UTC)
        if moment < window.end and (window.start is None or moment >= window.start):
            folders.append((export_date, path))
    return folders


def read_manifest(folder: Path) -> dict:
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise ExportError(f"{folder}: no manifest.json, the export is incomplete")
    try:
        return json.loads(manifest_path.read_text())
    except json.JSONDecodeError as error:
        raise ExportError(f"{manifest_path}: not valid JSON ({error})") from error


def _money(value: str | None) -> Decimal:
    try:
        return Decimal(value) if value else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def load_file(batch: Batch, path: Path, expected: dict) -> None:
    """Stream one CSV file into the batch and check it against its manifest entry."""
    source = batch.source
    locator = f"{path.parent.name}/{path.name}"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != expected.get("sha256"):
        raise ExportError(f"{locator}: SHA-256 differs from the manifest")
    convert = row_converter(source)
    totals = {name: Decimal(0) for name in money_columns(source)}
    rows = 0
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != source.column_names:
            raise ExportError(
                f"{locator}: header {reader.fieldnames} does not match {source.column_names}"
            )
        for record in reader:
            rows += 1
            for name in totals:
                totals[name] += _money(record.get(name))
            try:
                batch.write_row(convert(record))
            except RecordError as error:
                batch.quarantine(f"{locator}:{reader.line_num}", str(error), json.dumps(record))
    if rows != expected.get("rows"):
        raise ExportError(f"{locator}: read {rows} rows, the manifest says {expected.get('rows')}")
    for name, total in totals.items():
        control = Decimal(expected.get("control_totals", {}).get(name, "0"))
        if total != control:
            raise ExportError(f"{locator}: sum of {name} is {total}, the manifest says {control}")


def extract_table(
    warehouse: psycopg.Connection,
    export_dir: Path,
    source: SourceTable,
    logical_date: date,
    window_end: datetime,
) -> Batch:
    window = window_for(warehouse, source, logical_date, window_end)
    with replace_batch(warehouse, source, logical_date, window) as batch:
        for _, folder in export_folders(export_dir, window):
            manifest = read_manifest(folder)
            file_name = f"{source.name}.csv"
            expected = manifest.get("files", {}).get(file_name)
            if expected is None:
                raise ExportError(f"{folder}: manifest lists no {file_name}")
            load_file(batch, folder / file_name, expected)
    return batch


def extract_erp(
    warehouse_url: str,
    export_dir: Path,
    logical_date: date,
    window_end: datetime,
    progress: Callable[[str], None] = print,
) -> list[Batch]:
    return land_system(
        warehouse_url,
        "erp",
        lambda warehouse, source: extract_table(
            warehouse, export_dir, source, logical_date, window_end
        ),
        progress,
    )
