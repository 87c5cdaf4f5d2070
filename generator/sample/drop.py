"""The Drop: state shared by the dataset writers (anchor, subjects, serials, withdrawals)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from .codes import add_years
from .subjects import Pools, build_subjects, default_subjects
from .withdrawals import Withdrawals

DEFECT_RATE = 0.0015  # per kind and row


class Drop:
    """State shared by the dataset writers: anchor, subjects, counters, withdrawals."""

    def __init__(
        self, records: int, seed: int, anchor: dt.date, subjects: int | None = None
    ) -> None:
        self.seed, self.anchor = seed, anchor
        self.end = anchor.toordinal()
        self.start = self.end - 1460  # four years of decisions, anchor included
        self.three_years_ago = add_years(anchor, -3)
        master = random.Random(seed)
        named = build_subjects(master, subjects or default_subjects(records))
        self.pools = Pools(master, named)
        self.counters: dict[tuple[str, int], int] = {}
        self.withdrawals = Withdrawals(anchor)

    def rng(self, name: str) -> random.Random:
        """Return the random stream of one part of the drop, seeded by (seed, name)."""
        return random.Random(f"{self.seed}/{name}")

    def serial(self, key: str, year: int) -> int:
        """Return the next serial number for (key, year), starting at 1."""
        n = self.counters.get((key, year), 0) + 1
        self.counters[(key, year)] = n
        return n

    def date(self, rand: Callable[[], float], lo: int | None = None) -> dt.date:
        """Return a day between lo (default: four years back) and anchor, both included."""
        lo = self.start if lo is None else lo
        return dt.date.fromordinal(lo + int(rand() * (self.end - lo + 1)))


def plan_defects(r: random.Random, n: int, kinds: list[str]) -> dict[int, str]:
    """Spread defect kinds over rows 1..n-1, each kind about DEFECT_RATE·n times."""
    # Every kind appears at least once while that leaves at least half of the rows clean.
    per_kind = max(1, int(n * DEFECT_RATE))
    budget = min(len(kinds) * per_kind, max(0, (n - 1) // 2))
    slots = r.sample(range(1, n), budget) if budget else []
    return {row: kinds[j % len(kinds)] for j, row in enumerate(slots)}
