"""95% intervals of proportions: Wilson's score interval and Newcombe's difference.

The same definitions as the dbt macros in ``transform/macros/intervals.sql``;
the report pools groups with them, the tests check the marts against them.
"""

from __future__ import annotations

import math

#: The 97.5th percentile of the standard normal: a two-sided 95% interval.
Z = 1.959964


def wilson(successes: int, trials: int) -> tuple[float, float] | None:
    """Wilson score 95% interval of successes / trials; None when trials is 0."""
    if trials <= 0:
        return None
    spread = Z * math.sqrt(successes * (trials - successes) / trials + Z * Z / 4)
    centre, scale = successes + Z * Z / 2, trials + Z * Z
    low, high = (centre - spread) / scale, (centre + spread) / scale
    return max(0.0, min(1.0, low)), max(0.0, min(1.0, high))


def newcombe(
    successes1: int, trials1: int, successes2: int, trials2: int
) -> tuple[float, float] | None:
    """Newcombe's hybrid score 95% interval (method 10) of p1 - p2.

    None when either proportion has no trials.
    """
    first, second = wilson(successes1, trials1), wilson(successes2, trials2)
    if first is None or second is None:
        return None
    p1, p2 = successes1 / trials1, successes2 / trials2
    (low1, high1), (low2, high2) = first, second
    return (
        p1 - p2 - math.hypot(p1 - low1, high2 - p2),
        p1 - p2 + math.hypot(high1 - p1, p2 - low2),
    )
