"""Wider reset distributions: MimicGen's D0 → D1/D2 idea. Source demos cover the task's own reset
ranges; generation (and evaluation) may draw object placements from ranges `scale` times as wide
about the same centres, so a policy learns poses no source demo started from.

A task's reset ranges are read from its config, by convention: every field of a dataclass config
named `*_range` holding a (low, high) pair (the four built-in tasks' x, y and yaw ranges), or, for a
task file, every body's `x`, `y` and `yaw_deg`. A body placed `on_top_of` another keeps its x/y
(they are offsets on its support, which it must not leave) and widens its yaw only. A task whose
config follows neither convention overrides `Task.widen_reset`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .errors import ConfigError


def widen_range(low_high: tuple[float, float], scale: float) -> tuple[float, float]:
    """(low, high) stretched `scale` times about its centre."""
    low, high = low_high
    centre, half = (low + high) / 2, (high - low) / 2 * scale
    return (centre - half, centre + half)


def _is_pair(value: Any) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int | float) for v in value)


def widened_config(config: Any, scale: float, task: str) -> Any:
    """A copy of the task config `config` with its reset ranges `scale` times as wide (module doc).
    Raises ConfigError naming `task` when the config has no range this module can find."""
    from .task_spec import TaskSpec  # a task file's config: bodies with their own ranges

    if isinstance(config, TaskSpec):
        bodies = tuple(
            dataclasses.replace(
                b,
                x=b.x if b.on_top_of else widen_range(b.x, scale),
                y=b.y if b.on_top_of else widen_range(b.y, scale),
                yaw_deg=widen_range(b.yaw_deg, scale),
            )
            for b in config.bodies
        )
        return dataclasses.replace(config, bodies=bodies)
    fields = (
        {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
        if dataclasses.is_dataclass(config)
        else {}
    )
    ranges = {name: widen_range(v, scale) for name, v in fields.items() if name.endswith("_range") and _is_pair(v)}
    if not ranges:
        raise ConfigError(
            f"task {task!r}: cannot widen its reset distribution: expected a dataclass config with (low, high) "
            "fields named *_range, or a widen_reset method of its own"
        )
    return dataclasses.replace(config, **ranges)
