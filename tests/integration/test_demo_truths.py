"""The demo data's built-in truths show up in the published marts.

Runs ``cvw demo`` exactly as ``make demo`` does, at the default size, on
an embedded server of its own (own state directory and ports), then compares the
published concentration and churn with what the generator encodes: wallets are
lognormal and corporates far larger, so contribution is steep; the monthly churn
hazard falls from mass to private customers and from SME to large corporates.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cvw.config import PROJECT_ROOT
from cvw_sources.generate.world import CHURN_HAZARDS
from tests.integration.frames import frame

pytestmark = pytest.mark.integration

DEMO_PORT = 25434
DEMO_ENV = {
    "CVW_STATE_DIR": str(PROJECT_ROOT / ".state" / "test_demo"),
    "CVW_PG_PORT": str(DEMO_PORT),
    "CVW_CRM_PORT": "28092",
}
# Variables that would point the demo at someone else's systems.
EXTERNAL = ("WAREHOUSE_URL", "CORE_BANKING_URL", "ERP_EXPORT_DIR", "CRM_API_URL", "CRM_DB_PATH")
RETAIL = ("mass", "affluent", "private")
CORPORATE = ("sme", "mid_market", "large")


@pytest.fixture(scope="module")
def demo_url():
    env = {k: v for k, v in os.environ.items() if k not in EXTERNAL and not k.startswith("CVW_")}
    env.update(DEMO_ENV)
    try:
        subprocess.run(
            [sys.executable, "-m", "cvw", "demo"],
            env=env,
            check=True,
            timeout=1800,
        )
        passfile = Path(DEMO_ENV["CVW_STATE_DIR"]) / "secrets" / "pgpass"
        yield f"postgresql://postgres@127.0.0.1:{DEMO_PORT}/warehouse?passfile={passfile}"
    finally:
        subprocess.run(
            [sys.executable, "-m", "cvw", "db", "stop"],
            env=env,
            check=False,
        )


def test_contribution_is_steeply_concentrated(demo_url):
    latest = frame(
        demo_url,
        "select top_4pct_share, top_20pct_share, gini from marts.contribution_concentration"
        " order by month desc limit 1",
    ).iloc[0]
    # 二八原则 and steeper: the top 20% hold at least 80%, the top 4% more than half.
    assert float(latest["top_20pct_share"]) >= 0.80
    assert float(latest["top_4pct_share"]) >= 0.50
    assert float(latest["gini"]) >= 0.80


@pytest.mark.parametrize("segments", [RETAIL, CORPORATE], ids=["retail", "corporate"])
def test_churn_falls_with_the_generators_hazard(demo_url, segments):
    churn = frame(
        demo_url,
        "select segment, annualised_churn_rate from marts.customer_retention_monthly"
        " where horizon_months = 12"
        " and month = (select max(month) from marts.customer_retention_monthly)",
    ).set_index("segment")["annualised_churn_rate"]
    by_hazard = sorted(segments, key=CHURN_HAZARDS.__getitem__, reverse=True)
    rates = [float(churn[segment]) for segment in by_hazard]
    assert rates == sorted(rates, reverse=True), dict(zip(by_hazard, rates, strict=True))
    assert rates[0] > rates[-1]
