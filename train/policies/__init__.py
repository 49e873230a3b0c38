"""Policy registry: name → (config class, policy class). No import-time side effects."""

from __future__ import annotations

from ...envs import UnknownNameError
from .base import Policy
from .bc import BCConfig, BCPolicy
from .diffusion import DiffusionConfig, DiffusionPolicy

POLICIES = {"bc": (BCConfig, BCPolicy), "diffusion": (DiffusionConfig, DiffusionPolicy)}


def policy_classes(name: str):
    if name not in POLICIES:
        raise UnknownNameError(f"unknown policy {name!r}; known: {', '.join(POLICIES)}")
    return POLICIES[name]


__all__ = ["Policy", "BCConfig", "BCPolicy", "DiffusionConfig", "DiffusionPolicy", "POLICIES", "policy_classes"]
