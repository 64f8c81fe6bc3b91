"""Independent random streams, one per (purpose, entity), all derived from the seed.

Each customer, prospect, relationship manager and month draws from its own
PCG64 stream keyed by ``SeedSequence(seed, spawn_key=(purpose, index))``. A
record therefore depends only on the seed and its own key, never on how many
draws other records made or in which order they were generated.

Seeding a stream through ``SeedSequence`` costs about twenty microseconds, more
than some customers take to generate, so ``streams`` seeds the streams of many
consecutive indexes at once: it runs SeedSequence's documented hash (numpy's
``bit_generator.pyx``) on arrays and hands PCG64 the words SeedSequence would
have produced.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from enum import IntEnum
from itertools import accumulate
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.random.bit_generator import ISeedSequence

# SeedSequence's pool size and hash constants.
_POOL_SIZE = 4
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_MULT_L, _MIX_MULT_R = 0xCA01F9DD, 0x4973F715
_XSHIFT = np.uint32(16)
_MASK = 0xFFFF_FFFF
# PCG64 takes four 64-bit words: its 128-bit state seed, then its 128-bit increment.
_PCG64_WORDS = 4
STREAMS_AT_ONCE = 1024


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
    GROUP = 10
    CAMPAIGN = 11
    PROSPECT_CAMPAIGN = 12


def stream(seed: int, purpose: Stream, index: int = 0) -> np.random.Generator:
    sequence = np.random.SeedSequence(seed, spawn_key=(int(purpose), index))
    return np.random.Generator(np.random.PCG64(sequence))


def streams(seed: int, purpose: Stream, indexes: range) -> list[np.random.Generator]:
    """``[stream(seed, purpose, index) for index in indexes]``, seeded in one pass."""
    words = _seed_words(seed, purpose, np.arange(indexes.start, indexes.stop, indexes.step))
    # PCG64 takes any ISeedSequence; numpy's stubs name only its own seed types.
    seeded = [np.random.PCG64(_Seeded(row)) for row in words]  # type: ignore[arg-type]
    return [np.random.Generator(bit_generator) for bit_generator in seeded]


def streams_from(seed: int, purpose: Stream, count: int) -> Iterator[np.random.Generator]:
    """The streams of indexes 0 to ``count - 1`` in order, seeded a batch at a time."""
    for start in range(0, count, STREAMS_AT_ONCE):
        yield from streams(seed, purpose, range(start, min(start + STREAMS_AT_ONCE, count)))


class _Seeded(ISeedSequence):
    """Hands PCG64 the words SeedSequence would generate for it."""

    def __init__(self, words: npt.NDArray[np.uint64]) -> None:
        self._words = words

    def generate_state(
        self, n_words: int, dtype: npt.DTypeLike = np.uint32
    ) -> npt.NDArray[np.uint64]:
        if n_words != _PCG64_WORDS or np.dtype(dtype) != np.uint64:
            raise ValueError("only PCG64's four 64-bit words are at hand")
        return self._words


def _uint32_words(value: int) -> list[int]:
    """How SeedSequence splits a non-negative integer: 32-bit words, lowest first."""
    words = [value & _MASK]
    value >>= 32
    while value:
        words.append(value & _MASK)
        value >>= 32
    return words


def _seed_words(
    seed: int, purpose: Stream, indexes: npt.NDArray[np.int64]
) -> npt.NDArray[np.uint64]:
    """Per index, ``SeedSequence(seed, spawn_key=(purpose, index)).generate_state(4,
    np.uint64)``; indexes below 2**32."""
    run = _uint32_words(seed)
    run += [0] * (_POOL_SIZE - len(run))  # a spawned sequence pads the seed to the pool
    entropy: list[Any] = [np.uint32(word) for word in (*run, *_uint32_words(purpose))]
    entropy.append(indexes.astype(np.uint32))
    hash_const = _INIT_A

    def hashmix(value: Any) -> Any:
        nonlocal hash_const
        value = value ^ np.uint32(hash_const)
        hash_const = hash_const * _MULT_A & _MASK
        value = value * np.uint32(hash_const)
        return value ^ (value >> _XSHIFT)

    def mix(x: Any, y: Any) -> Any:
        result = np.uint32(_MIX_MULT_L) * x - np.uint32(_MIX_MULT_R) * y
        return result ^ (result >> _XSHIFT)

    # Multiplication modulo 2**32 is the point: wrap around silently.
    with np.errstate(over="ignore"):
        pool = [hashmix(entropy[i]) for i in range(_POOL_SIZE)]
        for source in range(_POOL_SIZE):
            for target in range(_POOL_SIZE):
                if source != target:
                    pool[target] = mix(pool[target], hashmix(pool[source]))
        for source in range(_POOL_SIZE, len(entropy)):
            for target in range(_POOL_SIZE):
                pool[target] = mix(pool[target], hashmix(entropy[source]))
        hash_const = _INIT_B
        state = []
        for i in range(2 * _PCG64_WORDS):
            value = pool[i % _POOL_SIZE] ^ np.uint32(hash_const)
            hash_const = hash_const * _MULT_B & _MASK
            value = value * np.uint32(hash_const)
            state.append(np.broadcast_to(value ^ (value >> _XSHIFT), indexes.shape))
    low = np.stack(state[0::2], axis=1).astype(np.uint64)
    high = np.stack(state[1::2], axis=1).astype(np.uint64)
    return low | (high << np.uint64(32))


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
