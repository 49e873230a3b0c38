"""`TrainConfig.policy_overrides` (`demoforge train --set FIELD=VALUE`) checked against the policy
config's fields: a known name, the field's type, a sane range (positive sizes, finite rates); then
the policy config's own checks. Each error is one line naming the field and the value."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from typing import Any

from ...augment.config_bounds import MAX_BATCH, MAX_STEPS
from ...envs import ConfigError
from . import policy_classes

MAX_SIZE = MAX_BATCH  # a layer width, a horizon, a chunk: the bound of a policy config's integers


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_overrides(policy: str, overrides: Mapping[str, Any], where: str = "TrainConfig.policy_overrides") -> dict:
    """The overrides of `policy`'s config, checked; lists given for tuple fields come back as
    tuples. Raises ConfigError naming `where`, the field and the value."""
    config_cls, _ = policy_classes(policy)
    if not isinstance(overrides, Mapping):
        raise ConfigError(f"{where}={overrides!r}: expected a mapping of {config_cls.__name__} fields")
    fields = {f.name: f for f in dataclasses.fields(config_cls)}
    defaults = config_cls()
    out = dict(overrides)
    for key, value in out.items():
        if key not in fields:
            raise ConfigError(f"{where} {key}: not a {policy} policy field; known: {', '.join(fields)}")
        default = getattr(defaults, key)
        nullable = "None" in str(fields[key].type)
        if (value is None and nullable) or (type(value) is type(default) and value == default):
            continue  # a field at its own default holds (BC's temporal_ensemble default is -0.3)
        if isinstance(default, bool):
            ok, want = isinstance(value, bool), "true or false"
        elif isinstance(default, int):
            high = MAX_STEPS if key.endswith("steps") and "action" not in key else MAX_SIZE
            ok, want = _is_int(value) and 1 <= value <= high, f"an integer in 1..{high}"
        elif isinstance(default, float):
            number = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            ok = number and value >= 0 and (key != "lr" or value > 0) and (key != "dropout" or value < 1)
            want = "a finite number ≥ 0" + (" (> 0)" if key == "lr" else " (< 1)" if key == "dropout" else "")
        elif isinstance(default, tuple):
            ok = (
                isinstance(value, list | tuple)
                and bool(value)
                and all(_is_int(v) and 1 <= v <= MAX_SIZE for v in value)
            )
            want = f"a list of integers in 1..{MAX_SIZE}, e.g. [256, 256]"
            value = tuple(value) if ok else value
        elif dataclasses.is_dataclass(default):  # a nested config (BC's encoder): its own checks run below
            ok = isinstance(value, Mapping) or isinstance(value, type(default))
            want = f"a mapping of {type(default).__name__} fields"
        else:
            ok, want = isinstance(value, type(default)), type(default).__name__
        if not ok:
            shown = json.dumps(value) if _jsonable(value) else repr(value)
            raise ConfigError(f"{where} {key}={shown}: expected {want}" + (" or null" if nullable else ""))
        out[key] = value
    try:
        config_cls(**out)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return out


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


__all__ = ["check_overrides"]
