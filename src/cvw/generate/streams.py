"""Independent random streams, one per (purpose, entity), all derived from the seed.

Each customer, prospect, relationship manager and month draws from its own
PCG64 stream keyed by ``SeedSequence(seed, spawn_key=(purpose, index))``. A
record therefore depends only on the seed and its own key, never on how many
draws other records made or in which order they were generated.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from enum import IntEnum
from itertools import accumulate

import numpy as np


class Stream(IntEnum):
    CUSTOMER = 1
    CORE_BANKING = 2
    INVOICES = 3
    CRM = 4
    PROSPECT = 5
    MANAGER = 6
    LEDGER = 7
    MARKET = 8
    IDENTIFIERS = 9


def stream(seed: int, purpose: Stream, index: int = 0) -> np.random.Generator:
    sequence = np.random.SeedSequence(seed, spawn_key=(int(purpose), index))
    return np.random.Generator(np.random.PCG64(sequence))


class Choice:
    """A fixed weighted choice; cheaper than ``Generator.choice`` for one draw at a time."""

    def __init__(self, options: Sequence[str], weights: Sequence[float]) -> None:
        if len(options) != len(weights):
            raise ValueError("one weight per option")
        total = float(sum(weights))
        self.options = tuple(options)
        self._cumulative = [w / total for w in accumulate(weights)]

    def draw(self, rng: np.random.Generator) -> str:
        index = bisect_right(self._cumulative, rng.random())
        return self.options[min(index, len(self.options) - 1)]


def between(rng: np.random.Generator, low: float, high: float) -> float:
    return low + (high - low) * rng.random()
