"""Relationship managers (客户经理): about one per 40 customers, spread over the branches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from cvw_sources.generate.geography import BRANCHES, Branch
from cvw_sources.generate.names import person_name
from cvw_sources.generate.streams import Stream, between, stream
from cvw_sources.generate.window import Window, epoch_seconds, iso_timestamp

CUSTOMERS_PER_MANAGER = 40
MIN_MANAGERS = 3
TEAM_SIZE = 4


@dataclass(frozen=True)
class RelationshipManager:
    rm_id: str
    full_name: str
    team: str
    branch: Branch
    hired_date: date
    annual_cost_cents: int
    updated_at: str


def manager_count(customers: int) -> int:
    return max(MIN_MANAGERS, round(customers / CUSTOMERS_PER_MANAGER))


def build_managers(seed: int, customers: int, window: Window) -> tuple[RelationshipManager, ...]:
    managers = []
    per_region: dict[str, int] = {}
    for index in range(manager_count(customers)):
        rng = stream(seed, Stream.MANAGER, index)
        branch = BRANCHES[index % len(BRANCHES)]
        rank = per_region.get(branch.region, 0)
        per_region[branch.region] = rank + 1
        surname, given = person_name(rng)
        years = between(rng, 1.2, 15.0)
        hired = window.as_of - timedelta(days=int(years * 365.25))
        cost = 250_000 + 18_000 * years + rng.normal(0, 30_000)
        cost_cents = int(round(min(600_000, max(250_000, cost)), -2)) * 100
        first_update = max(hired, window.start)
        span = (window.as_of - first_update).days + 1
        update_day = first_update + timedelta(days=int(rng.integers(span)))
        updated = epoch_seconds(update_day) + int(rng.integers(9 * 3600, 18 * 3600))
        managers.append(
            RelationshipManager(
                rm_id=f"RM{index + 1:04d}",
                full_name=f"{surname} {given}",
                team=f"Team {branch.region} {rank // TEAM_SIZE + 1}",
                branch=branch,
                hired_date=hired,
                annual_cost_cents=cost_cents,
                updated_at=iso_timestamp(updated),
            )
        )
    return tuple(managers)
