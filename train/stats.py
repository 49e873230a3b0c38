"""Success-rate statistics (shared/REFERENCES.md §6)."""

from __future__ import annotations

import math


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for k successes in n trials (95 % by default). Stays inside [0, 1]
    and keeps its width at 0/n and n/n, unlike the normal approximation."""
    if n <= 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo, hi = max(0.0, centre - half), min(1.0, centre + half)
    # exact at the ends (the formula gives 1 − 1e−16 at n/n, which would sit below p̂ = 1)
    return (0.0 if successes == 0 else lo, 1.0 if successes == n else hi)
