"""Policy registry: name → (config class, policy class). Built-ins, `register_policy` at run time,
and entry points in group `demoforge.policies` (a policy class whose `config_class` names its config)."""

from __future__ import annotations

from typing import Any

from ...envs import ConfigError, UnknownNameError
from ...envs.plugins import Registry
from .base import Policy
from .bc import BCConfig, BCPolicy
from .diffusion import DiffusionConfig, DiffusionPolicy


def _policy_entry(name: str, obj: Any) -> tuple[type, type]:
    """`obj` (a (config class, policy class) pair, or a policy class with `config_class`) as the
    entry of policy `name`."""
    config_cls, policy_cls = obj if isinstance(obj, tuple) else (getattr(obj, "config_class", None), obj)
    if not isinstance(policy_cls, type) or getattr(policy_cls, "name", None) != name:
        raise ConfigError(f"policy {name!r}: expected a policy class whose `name` is {name!r}, got {policy_cls!r}")
    if not isinstance(config_cls, type):
        raise ConfigError(
            f"policy {name!r}: no config class (pass config_class=, or set {policy_cls.__qualname__}.config_class)"
        )
    return config_cls, policy_cls


POLICIES: Registry[tuple[type, type]] = Registry(
    "demoforge.policies",
    "policy",
    {"bc": (BCConfig, BCPolicy), "diffusion": (DiffusionConfig, DiffusionPolicy)},
    check=_policy_entry,
    adder="demoforge.register_policy",
)


def register_policy(policy: type, config_class: type | None = None) -> None:
    """Add `policy` (built as `policy(config, obs_dim, action_dim, normalizer, image_shapes)`, see
    `Policy`) under `policy.name`, with its config dataclass `config_class` (default:
    `policy.config_class`), in this process and in the worker processes demoforge starts from it."""
    POLICIES.add(getattr(policy, "name", ""), (config_class or getattr(policy, "config_class", None), policy))


def policy_classes(name: str):
    if name not in POLICIES:
        raise UnknownNameError(f"unknown policy {name!r}; known: {POLICIES.known()}")
    return POLICIES[name]


__all__ = [
    "Policy",
    "BCConfig",
    "BCPolicy",
    "DiffusionConfig",
    "DiffusionPolicy",
    "POLICIES",
    "policy_classes",
    "register_policy",
]
