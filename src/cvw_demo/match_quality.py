"""Precision and recall of the golden record's links against the generator's truth files.

The simulated sources write the true customer behind every CRM contact and
ERP billing account (empty for a prospect). The integration tests and the
benchmark score ``marts.customer_source_links`` against them, with pandas, so
the score never comes from the SQL that does the matching.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import psycopg

from cvw.marts_reader import Fetch, postgres_fetch

# (source system in customer_source_links, truth file, the file's record-id column)
TRUTH_FILES = {
    "crm": ("contact_links.csv", "contact_id"),
    "erp": ("billing_links.csv", "billing_account_id"),
}


def precision_recall(links: pd.DataFrame, truth: pd.DataFrame) -> tuple[float, float]:
    """``links`` and ``truth`` have source_record_id and customer_id (None/'' when none)."""
    scored = truth.merge(
        links, on="source_record_id", how="outer", suffixes=("_true", "_made"), indicator=True
    )
    if not (scored["_merge"] == "both").all():
        raise ValueError("the links and the truth file list different records")
    made = scored["customer_id_made"].fillna("") != ""
    belongs = scored["customer_id_true"].fillna("") != ""
    correct = made & (scored["customer_id_made"] == scored["customer_id_true"])
    return float(correct.sum() / made.sum()), float(correct.sum() / belongs.sum())


def truth(truth_dir: Path, source_system: str) -> pd.DataFrame:
    file_name, key = TRUTH_FILES[source_system]
    frame = pd.read_csv(truth_dir / file_name, dtype=str, keep_default_na=False)
    return frame.rename(columns={key: "source_record_id"})


LINK_COLUMNS = ["source_record_id", "customer_id", "match_rule", "is_conflict"]


def published_links(fetch: Fetch, source_system: str) -> pd.DataFrame:
    """One system's links from the published marts, on either engine (cvw.marts_reader)."""
    rows = fetch(
        f"select {', '.join(LINK_COLUMNS)} from marts.customer_source_links"
        " where source_system = %(source_system)s",
        {"source_system": source_system},
    )
    return pd.DataFrame(rows, columns=LINK_COLUMNS)


def links(warehouse_url: str, source_system: str) -> pd.DataFrame:
    with psycopg.connect(warehouse_url) as conn:
        return published_links(postgres_fetch(conn), source_system)


def score(fetch: Fetch, truth_dir: Path) -> dict[str, dict[str, float]]:
    """``{source_system: {"records", "precision", "recall"}}`` of the published links."""
    scores = {}
    for source_system in TRUTH_FILES:
        expected = truth(truth_dir, source_system)
        precision, recall = precision_recall(published_links(fetch, source_system), expected)
        scores[source_system] = {
            "records": len(expected),
            "precision": round(precision, 4),
            "recall": round(recall, 4),
        }
    return scores
