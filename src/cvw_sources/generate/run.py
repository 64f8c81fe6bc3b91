"""One call that generates all three source systems and the truth files."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from cvw_sources.generate.core_load import CoreBankingLoad, default_workers
from cvw_sources.generate.crm import write_crm
from cvw_sources.generate.erp import reset_export_dir, write_erp
from cvw_sources.generate.params import GenerationSummary, GeneratorParams
from cvw_sources.generate.truth import TruthFiles, write_generator_json
from cvw_sources.generate.world import Population


def generate(
    params: GeneratorParams,
    core_banking_url: str,
    erp_export_dir: Path,
    crm_db_path: Path,
    truth_dir: Path,
    progress: Callable[[str], None] | None = None,
    workers: int | None = None,
) -> GenerationSummary:
    """Rebuild core banking, the ERP exports, the CRM file and the truth files from
    ``params``. The same params always give the same data, byte for byte, whatever
    the number of ``workers`` (processes generating core banking; default: one per
    CPU, at most four)."""
    started = time.monotonic()
    report = progress or (lambda _message: None)
    population = Population(params)
    # Checked first: a directory that is not ours must stop the run before anything changes.
    reset_export_dir(erp_export_dir)
    with TruthFiles(truth_dir) as truth:
        processes = default_workers() if workers is None else workers
        with CoreBankingLoad(population, core_banking_url, processes, report) as load:
            # The CRM is written from the customers as the core-banking workers make them,
            # the ERP exports while the server adds the core-banking keys.
            population.receive(load.customer_blocks())
            crm_rows = write_crm(population, crm_db_path, truth.link_contact, report)
            erp_rows = write_erp(
                population, load.ledger(), erp_export_dir, truth.link_billing_account, report
            )
            core = load.result()
    rows = {**core.rows, **erp_rows, **crm_rows}
    rows["truth.contact_links"] = truth.contact_links
    rows["truth.billing_links"] = truth.billing_links
    write_generator_json(
        truth_dir, params, rows, core.top_4pct_balance_share, core.top_20pct_balance_share
    )
    return GenerationSummary(
        params=params,
        rows=rows,
        erp_folders=params.months,
        top_4pct_balance_share=core.top_4pct_balance_share,
        top_20pct_balance_share=core.top_20pct_balance_share,
        seconds=time.monotonic() - started,
    )
