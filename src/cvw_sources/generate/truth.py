"""The answers the warehouse is meant to find, kept apart from the source systems.

``contact_links.csv`` and ``billing_links.csv`` give the true customer behind
every CRM contact and ERP billing account, whatever the CIF typed in CRM says;
``generator.json`` records how the data set was made and what it holds.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from types import TracebackType
from typing import Any

from cvw_sources.generate.params import GeneratorParams
from cvw_sources.generate.world import CHURN_HAZARDS

CONTACT_LINKS = "contact_links.csv"
BILLING_LINKS = "billing_links.csv"
GENERATOR_JSON = "generator.json"


class TruthFiles:
    """The two link files, written while the sources are generated."""

    def __init__(self, truth_dir: Path) -> None:
        truth_dir.mkdir(parents=True, exist_ok=True)
        self.truth_dir = truth_dir
        self._contacts_file = (truth_dir / CONTACT_LINKS).open("w", newline="", encoding="utf-8")
        self._billing_file = (truth_dir / BILLING_LINKS).open("w", newline="", encoding="utf-8")
        self._contacts = csv.writer(self._contacts_file, lineterminator="\n")
        self._billing = csv.writer(self._billing_file, lineterminator="\n")
        self._contacts.writerow(("contact_id", "customer_id"))
        self._billing.writerow(("billing_account_id", "customer_id"))
        self.contact_links = 0
        self.billing_links = 0

    def link_contact(self, contact_id: str, customer_id: str | None) -> None:
        self._contacts.writerow((contact_id, customer_id or ""))
        self.contact_links += 1

    def link_billing_account(self, billing_account_id: str, customer_id: str) -> None:
        self._billing.writerow((billing_account_id, customer_id))
        self.billing_links += 1

    def __enter__(self) -> TruthFiles:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._contacts_file.close()
        self._billing_file.close()


def write_generator_json(
    truth_dir: Path,
    params: GeneratorParams,
    rows: dict[str, int],
    top_4pct_share: float,
    top_20pct_share: float,
) -> None:
    document: dict[str, Any] = {
        "params": params.as_json(),
        "churn_hazards": dict(CHURN_HAZARDS),
        "rows": rows,
        "balance_concentration": {
            "as_of": params.as_of.isoformat(),
            "measure": "share of all month-end balances at as_of held by the top customers "
            "among those not closed",
            "top_4pct_share": top_4pct_share,
            "top_20pct_share": top_20pct_share,
        },
    }
    path = truth_dir / GENERATOR_JSON
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
