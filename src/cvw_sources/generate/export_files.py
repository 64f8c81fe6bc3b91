"""CSV files of an ERP export folder and the manifest that vouches for them."""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from cvw_sources.generate.formats import money
from cvw_sources.schema import MONEY, Table

MANIFEST = "manifest.json"


class ExportFile:
    """One CSV file: header in schema order, empty string for null, ``\\n`` line ends.

    It counts rows and sums money columns as it writes, for the manifest."""

    def __init__(self, folder: Path, table: Table) -> None:
        self.name = f"{table.name}.csv"
        self.path = folder / self.name
        self._handle = self.path.open("w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._handle, lineterminator="\n")
        self._writer.writerow(table.column_names)
        self._money = [(i, c.name) for i, c in enumerate(table.columns) if c.type == MONEY]
        self.rows = 0
        self.totals = {name: Decimal(0) for _, name in self._money}

    def write(self, row: Sequence[str | None]) -> None:
        values = ["" if value is None else value for value in row]
        for index, name in self._money:
            if values[index]:
                self.totals[name] += Decimal(values[index])
        self._writer.writerow(values)
        self.rows += 1

    def close(self) -> dict[str, Any]:
        """Close the file; its manifest entry."""
        self._handle.close()
        return {
            "rows": self.rows,
            "sha256": hashlib.sha256(self.path.read_bytes()).hexdigest(),
            "control_totals": {
                name: money(int(total * 100)) for name, total in self.totals.items()
            },
        }


def write_manifest(folder: Path, export_date: date, files: dict[str, dict[str, Any]]) -> None:
    """Write ``manifest.json`` last and atomically: its presence marks the export complete."""
    manifest = {
        "export_date": export_date.isoformat(),
        "period": export_date.strftime("%Y-%m"),
        "files": files,
    }
    staging = folder / f".{MANIFEST}.tmp"
    staging.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(staging, folder / MANIFEST)
