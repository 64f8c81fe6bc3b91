"""Reference data the finance department maintains: cost centers, FTP curve, unit costs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from cvw_sources.generate.geography import BRANCHES
from cvw_sources.generate.streams import Stream, stream
from cvw_sources.generate.window import Window

HEAD_OFFICE = "CC-HEAD-OFFICE"
TREASURY = "CC-TREASURY"
COST_CENTERS_VALID_FROM = date(2015, 1, 1)
FTP_TERMS = (1, 3, 6, 12, 36, 60)
# Starting curve in millionths. It then moves in parallel and in slope month by month, within
# bounds that keep every rate from 1.5 % to 3.5 % and the curve rising with term.
_FTP_START = (16_500, 18_500, 20_500, 22_500, 26_500, 30_000)
_FTP_LEVEL_BOUNDS = (-500.0, 2_500.0)
_FTP_SLOPE_BOUNDS = (-0.05, 0.05)
ACTIVITIES = (
    "teller_transaction",
    "atm_transaction",
    "online_transaction",
    "mobile_transaction",
    "account_upkeep",
    "rm_hour",
)
_UNIT_COST_START = (15.0, 3.5, 0.8, 0.5, 6.0, 320.0)  # CNY per activity
_CHANNEL_ACTIVITY = {
    "branch": "teller_transaction",
    "atm": "atm_transaction",
    "online": "online_transaction",
    "mobile": "mobile_transaction",
}


@dataclass(frozen=True)
class CostCenter:
    cost_center_id: str
    name: str
    kind: str
    branch_id: str | None
    region: str | None


COST_CENTERS = (
    *(CostCenter(b.cost_center_id, b.name, "branch", b.branch_id, b.region) for b in BRANCHES),
    CostCenter(HEAD_OFFICE, "Head Office", "head_office", None, None),
    CostCenter(TREASURY, "Treasury and Markets", "treasury", None, None),
)


def channel_activity(channel: str) -> str:
    return _CHANNEL_ACTIVITY[channel]


def ftp_curves(seed: int, window: Window) -> list[tuple[int, ...]]:
    """Per window month, the FTP rate (millionths) of each term in FTP_TERMS."""
    curves = []
    level, slope = 0.0, 0.0
    for month in range(window.months):
        rng = stream(seed, Stream.MARKET, month)
        level = float(np.clip(level + rng.normal(0.0, 400.0), *_FTP_LEVEL_BOUNDS))
        slope = float(np.clip(slope + rng.normal(0.0, 0.015), *_FTP_SLOPE_BOUNDS))
        curves.append(
            tuple(
                int(round(base * (1.0 + slope * (index - 2.5) / 2.5) + level, -1))
                for index, base in enumerate(_FTP_START)
            )
        )
    return curves


def unit_costs(seed: int, window: Window) -> list[dict[str, int]]:
    """Per window month, the cost in cents of one unit of each activity."""
    result = []
    for month in range(window.months):
        rng = stream(seed, Stream.MARKET, window.months + month)
        drift = 1.002**month
        noise = rng.uniform(0.98, 1.02, len(ACTIVITIES))
        result.append(
            {
                activity: int(round(start * drift * factor * 100))
                for activity, start, factor in zip(ACTIVITIES, _UNIT_COST_START, noise, strict=True)
            }
        )
    return result
