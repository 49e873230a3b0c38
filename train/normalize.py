"""Normalization from the dataset store's statistics, saved with every checkpoint.

Observations: (x − mean) / std (LeRobot's MEAN_STD). Actions: min/max mapped to [−1, 1]
(LeRobot's MIN_MAX, what Diffusion Policy uses). Near-constant dimensions get a unit scale
instead of a division by ~0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..envs import DemoforgeError

EPS = 1e-6
# Largest statistic accepted: (x − mean) / std and the action range (max − min) stay finite in
# float32 (max 3.4e38) with this much headroom.
FLOAT32_SAFE = 1e37


class NormalizationError(DemoforgeError, ValueError):
    """Training data whose statistics float32 cannot hold."""


@dataclass
class Normalizer:
    obs_mean: torch.Tensor  # (D_obs,)
    obs_std: torch.Tensor
    act_min: torch.Tensor  # (D_act,)
    act_max: torch.Tensor

    @classmethod
    def from_arrays(cls, obs: np.ndarray, actions: np.ndarray) -> Normalizer:
        """Stats over concatenated frames: obs (N, D_obs), actions (N, D_act). Summed in float64:
        in float32 one 3e38 (a valid float32) overflowed the sum to inf and every loss to NaN.
        Stats that do not fit float32 are refused, naming the dimension."""
        stats = {
            "obs_mean": obs.mean(0, dtype=np.float64),
            "obs_std": obs.std(0, dtype=np.float64),
            "act_min": actions.min(0).astype(np.float64),
            "act_max": actions.max(0).astype(np.float64),
        }
        for name, values in stats.items():
            bad = np.flatnonzero(~np.isfinite(values.astype(np.float32)) | (np.abs(values) > FLOAT32_SAFE))
            if bad.size:
                raise NormalizationError(
                    f"training data: {name} of dimension {int(bad[0])} is {values[bad[0]]:.3g}, too large to "
                    "normalize in float32 (check the datasets for extreme values)"
                )
        return cls(**{k: torch.as_tensor(v, dtype=torch.float32) for k, v in stats.items()})

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
