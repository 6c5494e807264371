"""Random selection: RAT-STATS 2010 single-stage random numbers reproduced from their seed, a modern
seeded generator (NumPy PCG64, seed recorded; the audit workflow's default), and probability-proportional-
to-size selection for MUS.

RAT-STATS (HHS OIG, User Guide 2010 pp. 2-4..2-7) uses the Wichmann-Hill generator (Byte, March
1987, pp. 127-128). Its three starting values come from Visual Basic's own generator: `Rnd(-1)`
followed by `Randomize seed`, then one `Rnd` per Wichmann-Hill component, scaled by that
component's modulus, truncated and plus one. Each number in [low, high] is low + int(u * size),
duplicates are skipped, the first `count` are the sample and the rest are spares in draw order.
We reconstructed this from the published examples (seed 48863.78 and 12345); tests reproduce both.
"""

from __future__ import annotations

import secrets
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from parcelaudit.errors import ParcelAuditError

_WH_MODULI = (30269, 30307, 30323)
_WH_MULTIPLIERS = (171, 172, 170)
_VB_MODULUS = 1 << 24


def _vb_step(state: int) -> int:
    """Visual Basic's 24-bit linear congruential Rnd() step."""
    return (state * 0x43FD43FD + 0xC39EC3) & 0xFFFFFF


def _vb_rnd_negative(value: float) -> int:
    """State after VB `Rnd(value)` for a negative value: seeded from the single-precision bits."""
    bits = struct.unpack("<I", struct.pack("<f", value))[0]
    return _vb_step((bits + (bits >> 24)) & 0xFFFFFF)


def _vb_randomize(state: int, seed: float) -> int:
    """State after VB `Randomize seed`: the double's high word folded into the middle 16 bits."""
    high = struct.unpack("<Q", struct.pack("<d", seed))[0] >> 32
    folded = ((high & 0xFFFF) ^ (high >> 16)) & 0xFFFF
    return (state & 0xFF0000FF) | (folded << 8)


def wichmann_hill(seed: float) -> Iterator[float]:
    """Uniform numbers in [0, 1) from the RAT-STATS Wichmann-Hill generator started from `seed`."""
    state = _vb_randomize(_vb_rnd_negative(-1.0), float(seed))
    parts = []
    for modulus in _WH_MODULI:
        state = _vb_step(state)
        parts.append(int(state / _VB_MODULUS * modulus) + 1)
    x, y, z = parts
    while True:
        x = (_WH_MULTIPLIERS[0] * x) % _WH_MODULI[0]
        y = (_WH_MULTIPLIERS[1] * y) % _WH_MODULI[1]
        z = (_WH_MULTIPLIERS[2] * z) % _WH_MODULI[2]
        yield (x / _WH_MODULI[0] + y / _WH_MODULI[1] + z / _WH_MODULI[2]) % 1.0


@dataclass(frozen=True)
class RandomSelection:
    """Selected numbers in selection order, the spares, and how to reproduce them."""

    values: list[int]
    spares: list[int]
    seed: float
    generator: str
    low: int
    high: int

    @property
    def sorted_values(self) -> list[int]:
        """The sample in ascending order (how RAT-STATS prints it)."""
        return sorted(self.values)


def select_random(
    seed: float | None,
    low: int,
    high: int,
    count: int,
    spares: int = 0,
    generator: str = "ratstats",
) -> RandomSelection:
    """Draw count + spares distinct integers in [low, high] in selection order.

    generator="ratstats" (the default here, so a RAT-STATS seed gives RAT-STATS' numbers) or "pcg64", the
    modern generator the audit workflow uses by default. With seed None a fresh seed is drawn (for ratstats
    a clock-like seed with two decimals, as RAT-STATS does) and recorded in the result, so every selection
    can be redone.
    """
    size = high - low + 1
    if count < 0 or spares < 0 or count + spares > size:
        raise ParcelAuditError(
            f"cannot draw {count} + {spares} distinct numbers from {low}..{high}",
            field="count",
            hint="lower the sample size or widen the frame",
        )
    if seed is None:
        seed = (
            float(secrets.randbelow(10**9))
            if generator == "pcg64"
            else round(secrets.randbelow(8640000) / 100, 2)
        )
    wanted = count + spares
    if generator == "ratstats":
        chosen: list[int] = []
        seen: set[int] = set()
        for u in wichmann_hill(seed):
            if len(chosen) == wanted:
                break
            value = low + int(u * size)
            if value not in seen:
                seen.add(value)
                chosen.append(value)
    elif generator == "pcg64":
        rng = np.random.Generator(np.random.PCG64(int(seed)))
        chosen = [int(v) + low for v in rng.choice(size, size=wanted, replace=False)]
    else:
        raise ParcelAuditError(
            f"unknown generator {generator!r}", field="generator", hint="pcg64 or ratstats"
        )
    return RandomSelection(chosen[:count], chosen[count:], float(seed), generator, low, high)


@dataclass(frozen=True)
class PPSSelection:
    """Monetary-unit (PPS systematic) selection: chosen item indices and the units that hit them."""

    indices: list[int]
    hits: list[int]
    interval: float
    start: float
    seed: int


def select_pps(book_values: Sequence[float], n: int, seed: int | None = None) -> PPSSelection:
    """Systematic PPS selection of n monetary units with a seeded random start; items >= interval are certain."""
    values = np.asarray(book_values, dtype=float)
    if n < 1 or values.size == 0 or np.any(values < 0) or values.sum() <= 0:
        raise ParcelAuditError(
            "PPS selection needs n >= 1 and non-negative book values with a positive total",
            field="book_values",
        )
    if seed is None:
        seed = secrets.randbelow(10**9)
    interval = float(values.sum()) / n
    start = float(np.random.Generator(np.random.PCG64(seed)).uniform(0, interval))
    units = start + interval * np.arange(n)
    cumulative = np.cumsum(values)
    positions = np.searchsorted(cumulative, units, side="right")
    positions = np.minimum(positions, values.size - 1)
    indices, hits = np.unique(positions, return_counts=True)
    return PPSSelection([int(i) for i in indices], [int(h) for h in hits], interval, start, int(seed))
