"""Diffusion Policy (Chi et al. 2023), CNN variant, for state observations: a 1-D temporal U-Net
(`ConditionalUnet1D`) denoises a chunk of `horizon` actions, FiLM-conditioned on the diffusion
step and the observation window; trained to predict noise (DDPM, squared-cosine schedule, 100
steps) and sampled with DDIM in few steps so a CPU keeps up with 20 Hz control.

The U-Net follows repo:real-stanford/diffusion_policy diffusion_policy/model/diffusion/
conditional_unet1d.py and conv1d_components.py (global conditioning, `cond_predict_scale=True`),
narrower so it trains on a CPU. The scheduler is written out here (≈40 lines, tested against its
defining identities) rather than taken from `diffusers`, whose import alone costs more than this
policy's whole inference.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch
from torch import nn

from ..normalize import Normalizer
from .base import PolicyModule
from .bc import ObservationWindow


@dataclass(frozen=True)
class DiffusionConfig:
    n_obs_steps: int = 2  # Diffusion Policy's defaults: 2 observations,
    horizon: int = 16  # 16 predicted actions,
    n_action_steps: int = 8  # 8 of them executed before planning again (Lift: 4 → 41/50, 8 → 43/50)
    # U-Net channels per level; the action-time axis halves between levels (16 → 8 → 4). DP's
    # (256, 512, 1024) is for a GPU. One training step at batch 256, measured on 1 thread of this
    # 2-core machine beside another job: (16, 32, 64) 48 ms, (32, 64, 128) 102 ms, (64, 128, 256)
    # 270 ms (the MLP this replaced: 18 ms). GroupNorm and Mish over every activation cost as much
    # as the convolutions, so no narrower 3-level net gets far below 45 ms. Lift (200 human-like
    # demos, `randomized`, 8000 steps, 50 episodes): 43/50 with (16, 32, 64), 43/50 with (32, 64, 128).
    down_dims: tuple[int, ...] = (16, 32, 64)
    kernel_size: int = 5  # temporal convolution width (DP: 5; 3 saves only 5 % at these widths)
    n_groups: int = 8  # GroupNorm groups (DP: 8); every width in down_dims must divide by it
    step_embed_dim: int = 64  # diffusion-step embedding width (DP: 256, for its wider net)
    default_steps: int = 8000  # training steps when TrainConfig.steps is not given
    train_timesteps: int = 100
    inference_steps: int = 8  # DDIM steps at inference (Diffusion Policy's DDIM config: 8)
    clip_sample: float = 1.0  # actions are normalized to [−1, 1]
    # DP trains at 1e-4 for thousands of epochs; an 8000-step CPU run needs more. Measured with
    # the trainer's cosine decay: loss 0.90 → 0.067 over 8000 steps (Lift, above).
    lr: float = 1e-3
    weight_decay: float = 1e-6

    def __post_init__(self) -> None:
        if not 1 <= self.n_action_steps <= self.horizon:
            raise ValueError(
                f"DiffusionConfig.n_action_steps={self.n_action_steps} must be in [1, horizon={self.horizon}]"
            )
        if not 1 <= self.inference_steps <= self.train_timesteps:
            raise ValueError("DiffusionConfig.inference_steps must be in [1, train_timesteps]")
        halvings = 2 ** max(len(self.down_dims) - 1, 0)
        if not self.down_dims or self.horizon % halvings:
            raise ValueError(
                f"DiffusionConfig.horizon={self.horizon} must divide by {halvings}: "
                f"down_dims={self.down_dims} (≥ 1 level) halve it {len(self.down_dims) - 1} times"
            )
        if any(d % self.n_groups for d in self.down_dims):
            raise ValueError(f"DiffusionConfig.down_dims={self.down_dims} must divide by n_groups={self.n_groups}")


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


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of diffusion steps (B,) → (B, dim), as DP's SinusoidalPosEmb."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / (half - 1))
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=-1)


def conv_block(c_in: int, c_out: int, kernel_size: int, n_groups: int) -> nn.Sequential:
    """Conv1d → GroupNorm → Mish, keeping the length (DP's Conv1dBlock)."""
    return nn.Sequential(
        nn.Conv1d(c_in, c_out, kernel_size, padding=kernel_size // 2), nn.GroupNorm(n_groups, c_out), nn.Mish()
    )


class ConditionalResidualBlock1D(nn.Module):
    """Two conv blocks; between them FiLM: the condition sets a per-channel scale and bias."""

    def __init__(self, c_in: int, c_out: int, cond_dim: int, kernel_size: int, n_groups: int):
        super().__init__()
        self.conv1 = conv_block(c_in, c_out, kernel_size, n_groups)
        self.conv2 = conv_block(c_out, c_out, kernel_size, n_groups)
        self.film = nn.Sequential(nn.Mish(), nn.Linear(cond_dim, 2 * c_out))
        self.skip = nn.Conv1d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """x (B, c_in, T), cond (B, cond_dim) → (B, c_out, T)."""
        scale, bias = self.film(cond)[..., None].chunk(2, dim=1)
        return self.conv2(scale * self.conv1(x) + bias) + self.skip(x)


class ConditionalUnet1D(nn.Module):
    """Noise predictor over an action sequence: convolutions run along time with the action
    dimensions as channels; the encoder halves the length between levels, the decoder doubles it
    back and concatenates the encoder's features of the same length (U-Net skips). Every residual
    block is FiLM-conditioned on [embedded diffusion step, global condition]."""

    def __init__(self, input_dim: int, global_cond_dim: int, c: DiffusionConfig):
        super().__init__()
        dims, e = [input_dim, *c.down_dims], c.step_embed_dim
        self.step_embed_dim = e
        self.step_encoder = nn.Sequential(nn.Linear(e, 4 * e), nn.Mish(), nn.Linear(4 * e, e))
        block = partial(
            ConditionalResidualBlock1D, cond_dim=e + global_cond_dim, kernel_size=c.kernel_size, n_groups=c.n_groups
        )
        levels = list(zip(dims[:-1], dims[1:]))
        self.down = nn.ModuleList(
            nn.ModuleList(
                [block(a, b), block(b, b), nn.Conv1d(b, b, 3, 2, 1) if i < len(levels) - 1 else nn.Identity()]
            )
            for i, (a, b) in enumerate(levels)
        )
        self.mid = nn.ModuleList([block(dims[-1], dims[-1]), block(dims[-1], dims[-1])])
        # one decoder level per halving, each ending in a length-doubling transposed convolution
        self.up = nn.ModuleList(
            nn.ModuleList([block(2 * b, a), block(a, a), nn.ConvTranspose1d(a, a, 4, 2, 1)])
            for a, b in reversed(levels[1:])
        )
        self.final = nn.Sequential(
            conv_block(dims[1], dims[1], c.kernel_size, c.n_groups), nn.Conv1d(dims[1], input_dim, 1)
        )

    def forward(self, x: torch.Tensor, t: torch.Tensor, global_cond: torch.Tensor) -> torch.Tensor:
        """x (B, T, input_dim), t (B,), global_cond (B, global_cond_dim) → (B, T, input_dim)."""
        cond = torch.cat([self.step_encoder(timestep_embedding(t, self.step_embed_dim)), global_cond], dim=-1)
        x, skips = x.transpose(1, 2), []
        for block1, block2, downsample in self.down:
            x = block2(block1(x, cond), cond)
            skips.append(x)
            x = downsample(x)
        for block in self.mid:
            x = block(x, cond)
        # as in DP, the decoder has one level fewer: the first level's features are not concatenated
        for block1, block2, upsample in self.up:
            x = upsample(block2(block1(torch.cat([x, skips.pop()], dim=1), cond), cond))
        return self.final(x).transpose(1, 2)


class DiffusionPolicy(PolicyModule):
    name = "diffusion"
    config_class = DiffusionConfig

    def __init__(
        self,
        config: DiffusionConfig,
        obs_dim: int,
        action_dim: int,
        normalizer: Normalizer,
        image_shapes: Mapping[str, tuple[int, int, int]] | None = None,
    ):
        super().__init__(config, obs_dim, action_dim, normalizer, image_shapes)
        self.refuse_images()  # state observations only; the vision mode trains BC
        self.unet = ConditionalUnet1D(action_dim, config.n_obs_steps * obs_dim, config)
        self.register_buffer("alphas_cumprod", cosine_alphas_cumprod(config.train_timesteps))
        self.reset()

    @property
    def horizon(self) -> int:
        return self.config.horizon

    def predict_noise(self, noisy: torch.Tensor, t: torch.Tensor, obs: torch.Tensor) -> torch.Tensor:
        """noisy (B, H, A) normalized actions, t (B,), obs (B, n_obs, D) raw → ε̂ (B, H, A)."""
        return self.unet(noisy, t, self.normalizer.obs(obs).flatten(1))

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
