"""Legs interleaved in rounds (A B C, A B C, …) and their medians with the spread.

On a shared machine a slow phase hits whichever leg runs during it; running every leg once
per round and taking each leg's median keeps such a phase from deciding a ratio.
"""

import os
import statistics
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


@dataclass(frozen=True)
class Spread:
    """One leg's value per round (rows/s, seconds, ms …)."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def show(self, unit: str, digits: int = 0) -> str:
        """'74 rows/s (70-77)': the median, then the lowest and highest round."""
        fmt = f"{{:,.{digits}f}}"
        if len(self.values) == 1:
            return f"{fmt.format(self.median)} {unit}"
        low, high = fmt.format(min(self.values)), fmt.format(max(self.values))
        return f"{fmt.format(self.median)} {unit} ({low}-{high})"


async def interleaved(
    legs: dict[str, Callable[[], Awaitable[float]]], rounds: int = ROUNDS
) -> dict[str, Spread]:
    """Run every leg once per round, in the order given; each leg returns its measurement."""
    values: dict[str, list[float]] = {name: [] for name in legs}
    for _ in range(rounds):
        for name, leg in legs.items():
            values[name].append(await leg())
    return {name: Spread(tuple(v)) for name, v in values.items()}


def ratio(a: Spread, b: Spread) -> str:
    return f"{a.median / b.median:.2f}x"


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def compared(
    metric: str, leg: Spread, reference: Spread, target: str, unit: str = "rows/s"
) -> tuple[str, str, str, str, str]:
    """A report row: the leg, the reference, leg ÷ reference, the target."""
    return (metric, leg.show(unit), reference.show(unit), ratio(leg, reference), target)
