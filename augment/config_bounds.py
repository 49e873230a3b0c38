"""The bounds and name checks of the config classes (CollectConfig, GenerateConfig, TrainConfig,
EvalConfig, RunConfig): one source for the Python API and the command line.

A config class states its numeric bounds in a class-level `BOUNDS` table (field → `Bounds`) and
checks them on construction with `check_bounds`; the CLI's flag builder reads the same table, so a
flag refuses exactly what the class refuses. Every error is one line naming the field and value:
`TrainConfig.batch_size=1000000000: expected an integer in 1..65536`.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..envs import ConfigError, UnknownNameError

MAX_EPISODES = 1_000_000  # demos collected or generated, episodes evaluated
MAX_BATCH = 65_536  # samples per training step
MAX_STEPS = 100_000_000  # training steps
MAX_COUNT = 100_000_000  # any other count or seed: large, but not a runaway loop


def max_workers() -> int:
    """Worker processes a user may ask for: ~300 MB each, so a few per core at most."""
    return 4 * (os.cpu_count() or 1)


class UnknownConfigName(UnknownNameError, ConfigError):
    """A config field naming a task, profile or policy that does not exist. Both a ConfigError (a
    bad config field) and an UnknownNameError (a KeyError), as callers caught it before."""


@dataclass(frozen=True)
class Bounds:
    """The values a numeric field may hold: an integer (or a finite number) from `low` to `high`."""

    low: float
    high: float | Callable[[], int] | None = None  # None: no upper bound; a callable: read when checked
    integer: bool = True
    low_open: bool = False  # (low, high]: low itself refused
    note: str = ""  # said after the range, e.g. what 0 means

    @property
    def top(self) -> float | None:
        return self.high() if callable(self.high) else self.high

    def expected(self) -> str:
        """'an integer in 1..65536', 'a finite number in (0, 1]', 'an integer ≥ 0'."""
        low, top = f"{self.low:g}", self.top
        if self.integer:
            return f"an integer in {low}..{top}" if top is not None else f"an integer ≥ {low}"
        if top is None:
            return f"a finite number {'>' if self.low_open else '≥'} {low}"
        return f"a finite number in {'(' if self.low_open else '['}{low}, {top:g}]"

    def holds(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if self.integer and not isinstance(value, numbers.Integral):
            return False
        if not isinstance(value, numbers.Real) or not math.isfinite(value):
            return False
        top = self.top
        above = value > self.low if self.low_open else value >= self.low
        return above and (top is None or value <= top)

    def check(self, where: str, value: Any, nullable: bool = False) -> None:
        if (value is None and nullable) or self.holds(value):
            return
        raise ConfigError(f"{where}={value!r}: expected {self.expected()}{' or None' if nullable else ''}{self.note}")


def ints(low: int, high: int | Callable[[], int] | None = None, note: str = "") -> Bounds:
    return Bounds(low, high, integer=True, note=note)


def reals(low: float, high: float | None = None, low_open: bool = False) -> Bounds:
    return Bounds(low, high, integer=False, low_open=low_open)


EPISODES = ints(1, MAX_EPISODES)
SEED = ints(0, MAX_COUNT)
COUNT = ints(0, MAX_COUNT)  # a count where 0 means none (or "the default")
WORKERS = ints(0, max_workers, " (0: one per core; at most 4 per core, ~300 MB each)")
SHARE = reals(0.0, 1.0)  # a fraction: the real share of a batch, a noise level
NON_NEGATIVE = reals(0.0)


def _default(cls: type, name: str) -> Any:
    if dataclasses.is_dataclass(cls):
        f = next(f for f in dataclasses.fields(cls) if f.name == name)
        return f.default if f.default is not dataclasses.MISSING else None
    return cls.model_fields[name].default


def check_bounds(config: Any) -> None:
    """Every field in its class's `BOUNDS` holds a value in range (None where the class default
    is None): else a ConfigError naming the class, the field and the value."""
    cls = type(config)
    for name, bounds in cls.BOUNDS.items():
        bounds.check(f"{cls.__name__}.{name}", getattr(config, name), nullable=_default(cls, name) is None)


def check_name(where: str, value: Any, resolve: Callable[[Any], Any]) -> None:
    """`resolve(value)` knows the name (a task, a policy): else one line naming the field."""
    try:
        resolve(value)
    except UnknownNameError as exc:
        raise UnknownConfigName(f"{where}={value!r}: {exc}") from None


def check_choice(where: str, value: Any, allowed) -> None:
    if value not in allowed:
        raise ConfigError(f"{where}={value!r}; allowed: {', '.join(map(str, allowed))}")


def check_profile(where: str, value: Any) -> None:
    """A domain profile field: a built-in name or a .toml path that loads (or a Profile itself).
    A missing file stays a FileNotFoundError naming it."""
    from .domain.profiles import Profile, load_profile

    if isinstance(value, Profile):
        return
    if not isinstance(value, str | Path):
        raise ConfigError(f"{where}={value!r}: expected a profile name or a .toml path")
    try:
        load_profile(value)
    except UnknownNameError as exc:
        raise UnknownConfigName(f"{where}={str(value)!r}: {exc}") from None
    except ConfigError as exc:
        raise ConfigError(f"{where}={str(value)!r}: {exc}") from None


def check_robot(where: str, value: Any, optional: bool = False) -> None:
    """A robot field: a registered robot's name or a robot TOML file's path, which registers it
    (None too where `optional`: the data's or the checkpoint's robot). An unknown name is one line
    listing the known robots; a bad file one line naming file, line and key."""
    from ..envs.robots import resolve_robot_name

    if value is None and optional:
        return
    if not isinstance(value, str | Path):
        raise ConfigError(f"{where}={value!r}: expected a robot name or a robot .toml path")
    try:
        resolve_robot_name(value)
    except UnknownNameError as exc:
        raise UnknownConfigName(f"{where}={str(value)!r}: {exc}") from None
    except ConfigError as exc:  # a robot file's error names the file already
        raise ConfigError(f"{where}: {exc}") from None


def check_cameras(where: str, cameras: Any) -> None:
    from ..envs.scene import CAMERA_NAMES

    unknown = [c for c in cameras if c not in CAMERA_NAMES]
    if isinstance(cameras, str) or unknown:
        raise ConfigError(f"{where}={cameras!r}: expected cameras among {', '.join(CAMERA_NAMES)}")


IMAGE_PX = (16, 1024)  # camera image sides, in px (even: yuv420p video)


def check_image_size(size: Any, what: str) -> None:
    """Camera images must be even-sized (yuv420p video) and of a sane size."""
    low, high = IMAGE_PX
    ok = isinstance(size, tuple | list) and len(size) == 2 and all(isinstance(n, int) for n in size)
    if not ok or not all(low <= n <= high and n % 2 == 0 for n in size):
        raise ConfigError(f"{what}={size!r}: expected an even number of pixels in {low}..{high}")
