"""Diffusion Policy (Chi et al. 2023) for state observations: an MLP denoiser conditioned on the
observation window and the diffusion step, trained to predict noise (DDPM, squared-cosine
schedule, 100 steps) and sampled with DDIM in few steps so a CPU keeps up with 20 Hz control.

The scheduler is written out here (≈40 lines, tested against its defining identities) rather than
taken from `diffusers`, whose import alone costs more than this policy's whole inference.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import torch

from ..normalize import Normalizer
from .base import PolicyModule
from .bc import ObservationWindow, mlp


@dataclass(frozen=True)
class DiffusionConfig:
    n_obs_steps: int = 2  # Diffusion Policy's defaults: 2 observations,
    horizon: int = 16  # 16 predicted actions,
    n_action_steps: int = 4  # executed before planning again (DP uses 8; Lift episodes are ~30 steps)
    hidden: int = 512
    default_steps: int = 8000  # training steps when TrainConfig.steps is not given
    layers: int = 4
    train_timesteps: int = 100
    inference_steps: int = 8  # DDIM steps at inference (Diffusion Policy's DDIM config: 8)
    clip_sample: float = 1.0  # actions are normalized to [−1, 1]
    lr: float = 1e-3  # with the small MLP denoiser; measured: 3000 steps at 3e-4 → 40 % Lift, 8000 at 1e-3 → 90 %
    weight_decay: float = 1e-6

    def __post_init__(self) -> None:
        if not 1 <= self.n_action_steps <= self.horizon:
            raise ValueError(
                f"DiffusionConfig.n_action_steps={self.n_action_steps} must be in [1, horizon={self.horizon}]"
            )
        if not 1 <= self.inference_steps <= self.train_timesteps:
            raise ValueError("DiffusionConfig.inference_steps must be in [1, train_timesteps]")


def cosine_alphas_cumprod(steps: int, s: float = 0.008) -> torch.Tensor:
    """ᾱ_t of the squared-cosine schedule (Nichol & Dhariwal 2021; diffusers' squaredcos_cap_v2),
    with each β_t capped at 0.999."""
    f = [math.cos((t / steps + s) / (1 + s) * math.pi / 2) ** 2 for t in range(steps + 1)]
    betas = torch.tensor([min(1 - f[t + 1] / f[t], 0.999) for t in range(steps)], dtype=torch.float64)
    return torch.cumprod(1 - betas, 0).float()


def ddim_timesteps(train_steps: int, inference_steps: int) -> list[int]:
    """Evenly spaced timesteps, from noisy to clean (diffusers' 'leading' spacing)."""
    ratio = train_steps // inference_steps
    return [int(t) for t in (np.arange(inference_steps) * ratio)[::-1]]


def timestep_embedding(t: torch.Tensor, dim: int = 64) -> torch.Tensor:
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=-1)


class DiffusionPolicy(PolicyModule):
    name = "diffusion"

    def __init__(self, config: DiffusionConfig, obs_dim: int, action_dim: int, normalizer: Normalizer):
        super().__init__(config, obs_dim, action_dim, normalizer)
        cond = config.n_obs_steps * obs_dim + 64
        self.denoiser = mlp(
            [config.horizon * action_dim + cond, *[config.hidden] * config.layers, config.horizon * action_dim]
        )
        self.register_buffer("alphas_cumprod", cosine_alphas_cumprod(config.train_timesteps))
        self.reset()

    @property
    def horizon(self) -> int:
        return self.config.horizon

    def predict_noise(self, noisy: torch.Tensor, t: torch.Tensor, obs: torch.Tensor) -> torch.Tensor:
        """noisy (B, H, A) normalized actions, t (B,), obs (B, n_obs, D) raw → ε̂ (B, H, A)."""
        x = torch.cat([noisy.flatten(1), self.normalizer.obs(obs).flatten(1), timestep_embedding(t)], dim=1)
        return self.denoiser(x).view_as(noisy)

    def loss(self, batch: dict[str, torch.Tensor], generator: torch.Generator | None = None) -> torch.Tensor:
        actions = self.normalizer.action(batch["action"])
        b = len(actions)
        t = torch.randint(0, self.config.train_timesteps, (b,), generator=generator)
        noise = torch.randn(actions.shape, generator=generator)
        ab = self.alphas_cumprod[t].view(b, 1, 1)
        noisy = ab.sqrt() * actions + (1 - ab).sqrt() * noise
        err = ((self.predict_noise(noisy, t, batch["obs"]) - noise) ** 2).mean(-1)
        keep = (~batch["action_is_pad"]).float()
        return (err * keep).sum() / keep.sum().clamp(min=1)

    @torch.no_grad()
    def sample(self, obs: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """DDIM (η = 0): (B, n_obs, D) → (B, H, A) normalized actions."""
        c = self.config
        x = torch.randn((len(obs), c.horizon, self.action_dim), generator=generator)
        steps = ddim_timesteps(c.train_timesteps, c.inference_steps)
        for i, t in enumerate(steps):
            ab = self.alphas_cumprod[t]
            ab_prev = self.alphas_cumprod[steps[i + 1]] if i + 1 < len(steps) else torch.tensor(1.0)
            eps = self.predict_noise(x, torch.full((len(obs),), t), obs)
            x0 = ((x - (1 - ab).sqrt() * eps) / ab.sqrt()).clamp(-c.clip_sample, c.clip_sample)
            x = ab_prev.sqrt() * x0 + (1 - ab_prev).sqrt() * eps
        return x

    def reset(self, seed: int | None = None) -> None:
        self._window = ObservationWindow(self.config.n_obs_steps)
        self._queue: deque = deque()
        self._generator = torch.Generator().manual_seed(0 if seed is None else seed)

    @torch.no_grad()
    def select_action(self, obs: np.ndarray) -> np.ndarray:
        window = self._window.push(obs)
        if not self._queue:
            plan = self.normalizer.unaction(self.sample(window, self._generator)[0])
            # training pairs the window ending at frame t with actions t … t + H − 1 (data.py)
            self._queue.extend(plan[: self.config.n_action_steps])
        return self._queue.popleft().numpy()
