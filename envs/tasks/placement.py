"""Object placement sampling, kept apart from the tasks (robosuite's placement samplers)."""

from __future__ import annotations

import numpy as np


def sample_separated_xy(
    rng: np.random.Generator,
    count: int,
    center,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    min_separation: float,
    max_tries: int = 1000,
) -> np.ndarray:
    """(count, 2) xy positions uniform in the box about `center`, pairwise ≥ `min_separation` m
    apart (rejection sampling). Raises ValueError if the box is too small to fit them."""
    points: list[np.ndarray] = []
    for _ in range(max_tries):
        p = np.asarray(center, float) + [rng.uniform(*x_range), rng.uniform(*y_range)]
        if all(np.linalg.norm(p - q) >= min_separation for q in points):
            points.append(p)
            if len(points) == count:
                return np.array(points)
    raise ValueError(
        f"could not place {count} objects {min_separation} m apart in x{x_range} y{y_range} after {max_tries} draws"
    )
