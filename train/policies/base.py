"""`Policy`: the one contract the trainer, checkpoints and evaluation rely on.

Every policy is a `torch.nn.Module` built as `cls(config, obs_dim, action_dim, normalizer)` whose
config is a frozen dataclass with `lr`, `weight_decay` and `default_steps`. Training asks for
windows of `n_obs_steps` observations and `horizon` actions and calls `loss`; evaluation calls
`reset` at each episode's start and `select_action` every control step.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import torch

from ..normalize import Normalizer


@runtime_checkable
class Policy(Protocol):
    name: ClassVar[str]  # registry key, stored in checkpoints
    config: Any
    obs_dim: int
    action_dim: int
    normalizer: Normalizer

    @property
    def n_obs_steps(self) -> int:
        """Observation frames per sample (the window ends at the current frame)."""
        ...

    @property
    def horizon(self) -> int:
        """Actions per training target, starting at the current frame."""
        ...

    def loss(self, batch: dict[str, torch.Tensor], generator: torch.Generator | None = None) -> torch.Tensor:
        """Scalar training loss of a batch {obs (B, n_obs, D), action (B, H, A), action_is_pad (B, H)};
        any randomness (diffusion noise) draws from `generator`, so a resumed run repeats it."""
        ...

    def reset(self, seed: int | None = None) -> None:
        """Forget the episode so far (observation window, queued actions)."""
        ...

    def select_action(self, obs: np.ndarray) -> np.ndarray:
        """One (A,) action for the current observation vector (D,)."""
        ...


class PolicyModule(torch.nn.Module):
    """What every built-in policy shares: the constructor's fields and the observation window
    length from its config. Subclasses add `horizon`, `loss`, `reset` and `select_action`."""

    name: ClassVar[str]

    def __init__(self, config: Any, obs_dim: int, action_dim: int, normalizer: Normalizer):
        super().__init__()
        self.config, self.obs_dim, self.action_dim = config, obs_dim, action_dim
        self.normalizer = normalizer

    @property
    def n_obs_steps(self) -> int:
        return self.config.n_obs_steps
