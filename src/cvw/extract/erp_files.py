"""Read one ERP export folder safely and check it against its manifest.

A folder is complete when ``manifest.json`` exists (the ERP writes it last);
the manifest gives, per file, the SHA-256, the data row count and control
totals (sums of money columns). A file passes only if all three agree with what
was read; a record that does not fit the catalog is handed back as a
``RecordError`` for quarantine and still counts towards the control totals.

Nothing is read through a symbolic link: the folder and every entry in it must
be real, and files are opened relative to the folder's descriptor with
``O_NOFOLLOW``, so no error can ever quote a file from outside the export.
Files must be UTF-8; a byte that is not fails with the file and line number.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO

from cvw.catalog import SourceTable, tables_of
from cvw.records import RecordError, money_columns, row_converter

MANIFEST = "manifest.json"
ENCODING = "UTF-8"


class ExportError(RuntimeError):
    """An export folder or file that must not be loaded as it is."""


@dataclass(frozen=True)
class ExportFolder:
    """A complete export folder whose every catalog file matches its manifest."""

    path: Path
    manifest: dict[str, Any]
    # SHA-256 over the catalog files' own digests: equal for the same export
    # delivered under another folder name, whatever its manifest says.
    content_sha256: str

    @property
    def name(self) -> str:
        return self.path.name


def file_name(source: SourceTable) -> str:
    return f"{source.name}.csv"


def refuse_symlinks(folder: Path) -> None:
    """Fail if the folder, or anything directly in it, is a symbolic link."""
    if folder.is_symlink():
        raise ExportError(f"{folder.name}: is a symbolic link; export folders must be directories")
    with os.scandir(folder) as entries:
        links = sorted(entry.name for entry in entries if entry.is_symlink())
    if links:
        raise ExportError(
            f"{folder.name}/{links[0]}: is a symbolic link; export files must be files"
        )


@contextmanager
def open_export_file(folder: Path, name: str) -> Iterator[BinaryIO]:
    """Open ``folder/name`` for reading without following a symbolic link at either level."""
    nofollow = os.O_RDONLY | os.O_NOFOLLOW
    try:
        folder_fd = os.open(folder, nofollow | os.O_DIRECTORY)
    except OSError as error:
        raise ExportError(f"{folder.name}: cannot open the folder ({error.strerror})") from None
    try:
        try:
            file_fd = os.open(name, nofollow, dir_fd=folder_fd)
        except FileNotFoundError:
            raise ExportError(f"{folder.name}/{name}: no such file") from None
        except OSError as error:
            raise ExportError(f"{folder.name}/{name}: cannot open ({error.strerror})") from None
        with os.fdopen(file_fd, "rb") as handle:
            yield handle
    finally:
        os.close(folder_fd)


def read_manifest(folder: Path) -> dict[str, Any]:
    with open_export_file(folder, MANIFEST) as handle:
        data = handle.read()
    try:
        manifest = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ExportError(f"{folder.name}/{MANIFEST}: not valid {ENCODING}") from None
    except json.JSONDecodeError as error:
        # The position only: the message never quotes the file.
        raise ExportError(
            f"{folder.name}/{MANIFEST}: not valid JSON (line {error.lineno}: {error.msg})"
        ) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise ExportError(f"{folder.name}/{MANIFEST}: no 'files' object")
    return manifest


def _decoded_lines(handle: BinaryIO, locator: str, seen: Callable[[bytes], None]) -> Iterator[str]:
    """The file's lines as text, each passed to ``seen`` as bytes first (for its digest)."""
    for number, raw in enumerate(handle, start=1):
        seen(raw)
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ExportError(
                f"{locator}: line {number} is not valid {ENCODING} (byte"
                f" 0x{raw[error.start]:02x} at position {error.start + 1}); ERP exports"
                f" must be encoded in {ENCODING}"
            ) from None


def _money(value: str | None) -> Decimal:
    try:
        return Decimal(value) if value else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


RecordSink = Callable[[str, tuple[Any, ...] | RecordError, dict[str, str]], None]


def read_export_file(
    folder: Path, source: SourceTable, expected: dict[str, Any], sink: RecordSink
) -> int:
    """Stream one CSV file to ``sink`` and check it against its manifest entry; its row count.

    ``sink`` gets each record's locator (``folder/file:line``), the typed row or
    the ``RecordError`` that keeps it out, and the record as read.
    """
    name = file_name(source)
    locator = f"{folder.name}/{name}"
    convert = row_converter(source)
    totals = {column: Decimal(0) for column in money_columns(source)}
    digest = hashlib.sha256()
    rows = 0
    with open_export_file(folder, name) as handle:
        reader = csv.DictReader(_decoded_lines(handle, locator, digest.update))
        if reader.fieldnames != source.column_names:
            raise ExportError(
                f"{locator}: header {reader.fieldnames} does not match {source.column_names}"
            )
        for record in reader:
            rows += 1
            for column in totals:
                totals[column] += _money(record.get(column))
            try:
                converted: tuple[Any, ...] | RecordError = convert(record)
            except RecordError as error:
                converted = error
            sink(f"{locator}:{reader.line_num}", converted, record)
    if digest.hexdigest() != expected.get("sha256"):
        raise ExportError(f"{locator}: SHA-256 differs from the manifest")
    if rows != expected.get("rows"):
        raise ExportError(f"{locator}: read {rows} rows, the manifest says {expected.get('rows')}")
    for column, total in totals.items():
        control = Decimal(expected.get("control_totals", {}).get(column, "0"))
        if total != control:
            raise ExportError(f"{locator}: sum of {column} is {total}, the manifest says {control}")
    return rows


def manifest_entry(folder: Path, manifest: dict[str, Any], source: SourceTable) -> dict[str, Any]:
    entry = manifest["files"].get(file_name(source))
    if not isinstance(entry, dict):
        raise ExportError(f"{folder.name}: manifest lists no {file_name(source)}")
    return entry


def validate_export(folder: Path) -> ExportFolder:
    """Check a complete folder end to end without loading it; raise ``ExportError`` if it fails."""
    refuse_symlinks(folder)
    manifest = read_manifest(folder)
    digests = {}
    for source in tables_of("erp"):
        entry = manifest_entry(folder, manifest, source)
        read_export_file(folder, source, entry, lambda *_: None)
        digests[file_name(source)] = entry["sha256"]
    # In the layout of `sha256sum` output, file names in order.
    listing = "".join(f"{digests[name]}  {name}\n" for name in sorted(digests))
    content = hashlib.sha256(listing.encode()).hexdigest()
    return ExportFolder(path=folder, manifest=manifest, content_sha256=content)
