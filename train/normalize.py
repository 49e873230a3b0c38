"""Normalization from the dataset store's statistics, saved with every checkpoint.

Observations: (x − mean) / std (LeRobot's MEAN_STD). Actions: min/max mapped to [−1, 1]
(LeRobot's MIN_MAX, what Diffusion Policy uses). Near-constant dimensions get a unit scale
instead of a division by ~0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

EPS = 1e-6


@dataclass
class Normalizer:
    obs_mean: torch.Tensor  # (D_obs,)
    obs_std: torch.Tensor
    act_min: torch.Tensor  # (D_act,)
    act_max: torch.Tensor

    @classmethod
    def from_arrays(cls, obs: np.ndarray, actions: np.ndarray) -> Normalizer:
        """Stats over concatenated frames: obs (N, D_obs), actions (N, D_act)."""
        return cls(
            obs_mean=torch.as_tensor(obs.mean(0), dtype=torch.float32),
            obs_std=torch.as_tensor(obs.std(0), dtype=torch.float32),
            act_min=torch.as_tensor(actions.min(0), dtype=torch.float32),
            act_max=torch.as_tensor(actions.max(0), dtype=torch.float32),
        )

    def _std(self) -> torch.Tensor:
        return torch.where(self.obs_std < EPS, torch.ones_like(self.obs_std), self.obs_std)

    def _half_range(self) -> torch.Tensor:
        half = (self.act_max - self.act_min) / 2
        return torch.where(half < EPS, torch.ones_like(half), half)

    def obs(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.obs_mean) / self._std()

    def action(self, a: torch.Tensor) -> torch.Tensor:
        return (a - (self.act_max + self.act_min) / 2) / self._half_range()

    def unaction(self, a: torch.Tensor) -> torch.Tensor:
        return a * self._half_range() + (self.act_max + self.act_min) / 2

    def to(self, device: torch.device | str) -> Normalizer:
        """The same statistics on `device` (a policy trained on CUDA normalizes there)."""
        return Normalizer(**{k: v.to(device) for k, v in self.__dict__.items()})

    def tensors(self) -> dict[str, torch.Tensor]:
        return {f"normalizer.{k}": v.contiguous() for k, v in self.__dict__.items()}

    @classmethod
    def from_tensors(cls, tensors: dict[str, torch.Tensor]) -> Normalizer:
        return cls(**{k.removeprefix("normalizer."): v for k, v in tensors.items() if k.startswith("normalizer.")})
