"""`Policy`: the one contract the trainer, checkpoints and evaluation rely on.

Every policy is a `torch.nn.Module` built as `cls(config, obs_dim, action_dim, normalizer,
image_shapes)` whose config is a frozen dataclass with `lr`, `weight_decay` and `default_steps`.
Training asks for windows of `n_obs_steps` observations and `horizon` actions and calls `loss`;
evaluation calls `reset` at each episode's start and `select_action` every control step.

Observations are the normalized vector `obs` (obs_dim wide: the observation mode's vectors,
concatenated) and, for a policy that sees, one uint8 image per camera under its dataset key
(`observation.images.<camera>`), of the (C, H, W) shape `image_shapes` gives. A policy without
`image_shapes` reads the vector alone, as every policy did before the vision mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import torch

from ...envs import ConfigError
from ..normalize import Normalizer

VECTOR_KEY = "obs"  # the observation vector in a training batch and in a step's observation dict
PAST_ACTION_KEY = "past_action"  # the actions sent before the current frame, in a training batch
ImageShapes = dict[str, tuple[int, int, int]]  # dataset image key → (C, H, W), in input order


@runtime_checkable
class Policy(Protocol):
    name: ClassVar[str]  # registry key, stored in checkpoints
    config: Any
    obs_dim: int
    action_dim: int
    normalizer: Normalizer
    image_shapes: ImageShapes  # empty for a policy that reads the vector only

    @property
    def n_obs_steps(self) -> int:
        """Observation frames per sample (the window ends at the current frame)."""
        ...

    @property
    def n_past_actions(self) -> int:
        """Actions sent before the current frame that the policy reads (0: none); a training batch
        then holds them as past_action (B, n_past_actions, A), oldest first."""
        ...

    @property
    def horizon(self) -> int:
        """Actions per training target, starting at the current frame."""
        ...

    def loss(self, batch: dict[str, torch.Tensor], generator: torch.Generator | None = None) -> torch.Tensor:
        """Scalar training loss of a batch {obs (B, n_obs, D), action (B, H, A), action_is_pad (B, H)}
        plus, per image key, uint8 frames (B, n_obs, C, H, W); any randomness (diffusion noise, image
        crops) draws from `generator`, so a resumed run repeats it."""
        ...

    def reset(self, seed: int | None = None) -> None:
        """Forget the episode so far (observation window, queued actions)."""
        ...

    def select_action(self, obs: np.ndarray | Mapping[str, np.ndarray]) -> np.ndarray:
        """One (A,) action for the current observation: the vector (D,), or for a policy that sees
        {"obs": (D,), <image key>: (H, W, C) uint8 frame as the env renders it, ...}."""
        ...


class PolicyModule(torch.nn.Module):
    """What every built-in policy shares: the constructor's fields and the observation window
    length from its config. Subclasses add `horizon`, `loss`, `reset` and `select_action`."""

    name: ClassVar[str]

    def __init__(
        self,
        config: Any,
        obs_dim: int,
        action_dim: int,
        normalizer: Normalizer,
        image_shapes: Mapping[str, tuple[int, int, int]] | None = None,
    ):
        super().__init__()
        self.config, self.obs_dim, self.action_dim = config, obs_dim, action_dim
        self.normalizer = normalizer
        self.image_shapes: ImageShapes = {k: tuple(int(n) for n in s) for k, s in (image_shapes or {}).items()}

    @property
    def n_obs_steps(self) -> int:
        return self.config.n_obs_steps

    @property
    def n_past_actions(self) -> int:
        return getattr(self.config, "n_past_actions", 0)

    def split_observation(self, obs: np.ndarray | Mapping[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """A step's observation → (vector (D,), {image key: (C, H, W) uint8 frame}), checked against
        the images this policy was trained on: a missing camera or another image size is a
        ConfigError naming it, not a shape error deep inside a convolution."""
        if not self.image_shapes:
            return (obs[VECTOR_KEY] if isinstance(obs, Mapping) else obs), {}
        wanted = ", ".join(self.image_shapes)
        if not isinstance(obs, Mapping):
            raise ConfigError(
                f"policy {self.name!r} reads cameras ({wanted}) but got the observation vector alone: "
                "evaluate it with those cameras rendered"
            )
        images = {}
        for key, (c, h, w) in self.image_shapes.items():
            if key not in obs:
                raise ConfigError(
                    f"policy {self.name!r} reads {key!r}, missing from the observation (it reads {wanted})"
                )
            frame = np.asarray(obs[key])
            if frame.shape != (h, w, c) or frame.dtype != np.uint8:
                raise ConfigError(
                    f"policy {self.name!r} was trained on {h}×{w}×{c} uint8 frames of {key!r}, "
                    f"got {'×'.join(map(str, frame.shape))} {frame.dtype}"
                )
            images[key] = np.ascontiguousarray(frame.transpose(2, 0, 1))  # (C, H, W), as training windows
        return obs[VECTOR_KEY], images

    def refuse_images(self) -> None:
        """For a policy that reads vectors only: a clear error when built with images."""
        if self.image_shapes:
            raise ConfigError(
                f"policy {self.name!r} reads observation vectors only, not images ({', '.join(self.image_shapes)})"
            )
