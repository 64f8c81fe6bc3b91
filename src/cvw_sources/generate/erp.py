"""ERP/finance exports: one folder of CSV files per month end, each with a manifest."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

from cvw_sources.generate.export_files import ExportFile, write_manifest
from cvw_sources.generate.finance_reference import (
    ACTIVITIES,
    COST_CENTERS,
    COST_CENTERS_VALID_FROM,
    FTP_TERMS,
    ftp_curves,
    unit_costs,
)
from cvw_sources.generate.formats import money, rate
from cvw_sources.generate.invoices import write_invoices
from cvw_sources.generate.ledger import LedgerTotals, broken_postings, month_postings
from cvw_sources.generate.streams import Stream, stream
from cvw_sources.generate.world import Population
from cvw_sources.schema import ERP, erp_table

FILE_ORDER = tuple(source.name for source in ERP)


def write_erp(
    population: Population,
    ledger: LedgerTotals,
    export_dir: Path,
    link_billing_account: Callable[[str, str], None],
    progress: Callable[[str], None],
) -> dict[str, int]:
    """One export folder per window month in the emptied ``export_dir`` (see
    ``reset_export_dir``); row counts per file."""
    window = population.window
    seed = population.params.seed
    folders = [export_dir / end.isoformat() for end in window.month_ends]
    for folder in folders:
        folder.mkdir()
    invoices = [ExportFile(folder, erp_table("invoices")) for folder in folders]
    write_invoices(population, invoices, link_billing_account)
    curves = ftp_curves(seed, window)
    costs = unit_costs(seed, window)
    rows: Counter[str] = Counter()
    for month, folder in enumerate(folders):
        files = {
            "gl_postings": _gl_postings(population, ledger, month, folder, costs[month]),
            "cost_centers": _cost_centers(folder),
            "ftp_curve": _ftp_curve(folder, window.month_starts[month], curves[month]),
            "unit_costs": _unit_costs(folder, window.period(month), costs[month]),
            "invoices": invoices[month],
        }
        entries = {}
        for name in FILE_ORDER:
            entries[files[name].name] = files[name].close()
            rows[f"erp.{name}"] += files[name].rows
        write_manifest(folder, window.month_ends[month], entries)
    for name in FILE_ORDER:
        progress(f"erp.{name}: {rows[f'erp.{name}']:,} rows in {len(folders)} files")
    return dict(rows)


def reset_export_dir(export_dir: Path) -> None:
    """Remove earlier exports; refuse to delete a directory holding anything else."""
    if export_dir.exists():
        strays = [p.name for p in export_dir.iterdir() if not _is_export_folder(p)]
        if strays:
            raise RuntimeError(
                f"{export_dir} holds files that are not ERP export folders "
                f"({', '.join(sorted(strays)[:3])}); not deleting it"
            )
        shutil.rmtree(export_dir)
    export_dir.mkdir(parents=True)


def _is_export_folder(path: Path) -> bool:
    try:
        date.fromisoformat(path.name)
    except ValueError:
        return False
    return path.is_dir()


def _gl_postings(
    population: Population,
    ledger: LedgerTotals,
    month: int,
    folder: Path,
    costs: dict[str, int],
) -> ExportFile:
    window = population.window
    rng = stream(population.params.seed, Stream.LEDGER, month)
    month_end = window.month_ends[month]
    rm_pay: dict[str, int] = {}
    for manager in population.managers:
        if manager.hired_date <= month_end:
            branch_id = manager.branch.branch_id
            rm_pay[branch_id] = rm_pay.get(branch_id, 0) + manager.annual_cost_cents // 12
    postings = month_postings(ledger, window, month, costs, rng, rm_pay)
    postings += broken_postings(window, month, population.params.erp_bad_rows_per_file, rng)
    period = window.period(month)
    file = ExportFile(folder, erp_table("gl_postings"))
    for number, posting in enumerate(postings, start=1):
        file.write(
            (
                f"GL{period.replace('-', '')}-{number:06d}",
                posting.posting_date,
                period,
                posting.gl_account,
                posting.gl_line,
                posting.cost_center_id,
                money(posting.cents),
                "CNY",
                posting.description,
            )
        )
    return file


def _cost_centers(folder: Path) -> ExportFile:
    file = ExportFile(folder, erp_table("cost_centers"))
    for center in COST_CENTERS:
        file.write(
            (
                center.cost_center_id,
                center.name,
                center.kind,
                center.branch_id,
                center.region,
                COST_CENTERS_VALID_FROM.isoformat(),
            )
        )
    return file


def _ftp_curve(folder: Path, curve_date: date, curve: tuple[int, ...]) -> ExportFile:
    file = ExportFile(folder, erp_table("ftp_curve"))
    for term, ftp_rate in zip(FTP_TERMS, curve, strict=True):
        file.write((curve_date.isoformat(), str(term), rate(ftp_rate)))
    return file


def _unit_costs(folder: Path, period: str, costs: dict[str, int]) -> ExportFile:
    file = ExportFile(folder, erp_table("unit_costs"))
    for activity in ACTIVITIES:
        file.write((period, activity, money(costs[activity])))
    return file
