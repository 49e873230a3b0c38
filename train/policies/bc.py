"""Behaviour cloning with action chunks: an MLP from a window of normalized observations to the
next `chunk_size` actions, executed with temporal ensembling (ACT) or a receding horizon.

A policy that sees (built with `image_shapes`) feeds the MLP, for every frame of the window, the
normalized vector followed by each camera's `ImageEncoder` features (robomimic's BC and Diffusion
Policy concatenate the same way); without images the input is the vector window alone."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..normalize import Normalizer
from .base import PAST_ACTION_KEY, VECTOR_KEY, PolicyModule
from .vision_encoder import ImageEncoder, ImageEncoderConfig


@dataclass(frozen=True)
class BCConfig:
    n_obs_steps: int = 1  # observation frames in the input window
    # The last actions the policy sent, as input beside the observation. Under actuation latency
    # the state shows the arm where commands of `latency` steps ago put it; the actions still in
    # flight say where it is going, which the observation alone cannot. Off by default: it did
    # not help where it should (PegInsert, the `laggy` development shift, two steps of latency,
    # `demoforge run` defaults, 50 episodes in the shift: real + synthetic 23/50 without, 21/50
    # with the last 3 actions; synthetic only 12/50 both).
    n_past_actions: int = 0
    chunk_size: int = 8  # actions predicted per query
    hidden: tuple[int, ...] = (512, 512, 512)
    dropout: float = 0.1
    # Squared error, not ACT's L1. People hover before a decision (line up, then let go) for a
    # random number of steps, so the same state is labelled "wait" most of the time and "go" once.
    # L1 regresses to the median, "wait", and the policy hovers forever; the mean moves on.
    # Measured (Stack, 200 human-like demos in `randomized`, 2000 steps): L1 3/40, L2 34/40.
    loss: str = "l2"  # l2 | l1
    # ACT's temporal ensembling: the policy is queried every step and overlapping predictions
    # are averaged with weights exp(−m·i), i = 0 for the oldest. ACT uses m = 0.01, which leans
    # on old predictions: smooth, but with one step of actuation latency the loop then lags, and
    # the arm overshoots where it must stop precisely. A negative m leans on the newest one.
    # Measured (the benchmark's PegInsert policies, same weights): real + synthetic in `target`
    # m = 0.01 25/50, −0.3 69/100, −0.6 66/100; synthetic only in `randomized` 65/100, 80/100,
    # 80/100; Stack, PickPlace and Lift unchanged within noise (47–50/50 either way). None: execute
    # `n_action_steps` of each chunk, then query again (receding horizon; PegInsert 27/50 at 4).
    temporal_ensemble: float | None = -0.3
    n_action_steps: int = 4
    lr: float = 1e-3
    weight_decay: float = 1e-4
    # Training steps when TrainConfig.steps is not given. Measured with the cosine schedule
    # (PegInsert, 1000 generated demos, 200 episodes in `randomized`): 2000 → 57.5 %, 6000 → 68 %,
    # 10000 → 62.5 %. 6000 costs ~60 s on 2 cores.
    default_steps: int = 6000
    # The per-camera image encoder of a policy that sees (unused without images).
    encoder: ImageEncoderConfig = ImageEncoderConfig()

    def __post_init__(self) -> None:
        if isinstance(self.encoder, Mapping):  # read back from JSON (checkpoint metadata, --set)
            object.__setattr__(self, "encoder", ImageEncoderConfig.from_dict(dict(self.encoder)))
        if self.loss not in ("l1", "l2"):
            raise ValueError(f"BCConfig.loss={self.loss!r}; allowed: l1, l2")
        if not 0 <= self.n_past_actions <= 16:
            raise ValueError(f"BCConfig.n_past_actions={self.n_past_actions} must be in [0, 16]")
        if self.temporal_ensemble is None and not 1 <= self.n_action_steps <= self.chunk_size:
            raise ValueError(
                f"BCConfig.n_action_steps={self.n_action_steps} must be in [1, chunk_size={self.chunk_size}]"
            )


class ObservationWindow:
    """The last `size` observations, the first one repeated until the window fills (as training
    pads before an episode's start)."""

    def __init__(self, size: int, dtype: torch.dtype = torch.float32):
        self.frames: deque = deque(maxlen=size)
        self.dtype = dtype  # float32 vectors; uint8 images

    def push(self, obs: np.ndarray) -> torch.Tensor:
        """Add `obs` (*shape); return the window as a (1, size, *shape) batch."""
        o = torch.as_tensor(obs, dtype=self.dtype)
        if not self.frames:
            self.frames.extend([o] * self.frames.maxlen)
        self.frames.append(o)
        return torch.stack(list(self.frames))[None]


def mlp(sizes: list[int], dropout: float = 0.0) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(a, b), nn.GELU(), nn.Dropout(dropout)]
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)


class BCPolicy(PolicyModule):
    name = "bc"
    config_class = BCConfig

    def __init__(
        self,
        config: BCConfig,
        obs_dim: int,
        action_dim: int,
        normalizer: Normalizer,
        image_shapes: Mapping[str, tuple[int, int, int]] | None = None,
    ):
        super().__init__(config, obs_dim, action_dim, normalizer, image_shapes)
        frame_width = obs_dim + len(self.image_shapes) * config.encoder.features
        # Built before the encoders, so a policy without images draws its initial weights exactly
        # as it did before images existed.
        inputs = config.n_obs_steps * frame_width + config.n_past_actions * action_dim
        self.net = mlp([inputs, *config.hidden, config.chunk_size * action_dim], config.dropout)
        # A list in `image_shapes` order: the dataset keys hold dots, which ModuleDict refuses.
        self.image_encoders = nn.ModuleList(ImageEncoder(config.encoder, s) for s in self.image_shapes.values())
        self.reset()

    @property
    def horizon(self) -> int:
        return self.config.chunk_size

    def forward(
        self,
        obs: torch.Tensor,
        images: Mapping[str, torch.Tensor] | None = None,
        generator: torch.Generator | None = None,
        past_actions: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """(B, n_obs, D) raw observations (and per image key (B, n_obs, C, H, W) uint8 frames, and
        (B, n_past_actions, A) raw actions sent before) → (B, chunk, A) normalized actions.
        `generator` draws the training crops of the images."""
        x = self.normalizer.obs(obs)
        if self.image_shapes:
            feats = [enc(images[k], generator) for k, enc in zip(self.image_shapes, self.image_encoders)]
            x = torch.cat([x, *feats], -1)
        x = x.flatten(1)
        if self.config.n_past_actions:
            x = torch.cat([x, self.normalizer.action(past_actions).flatten(1)], -1)
        return self.net(x).view(len(obs), self.config.chunk_size, self.action_dim)

    def loss(self, batch: dict[str, torch.Tensor], generator: torch.Generator | None = None) -> torch.Tensor:
        """Squared (or L1, ACT's) error on normalized actions, padded steps masked out. `generator`
        draws the image crops (a policy without images draws nothing from it; dropout draws from
        torch's global generator, which checkpoints save)."""
        images = {k: batch[k] for k in self.image_shapes}
        pred = self(batch[VECTOR_KEY], images, generator, batch.get(PAST_ACTION_KEY))
        target = self.normalizer.action(batch["action"])
        diff = pred - target
        err = (diff.square() if self.config.loss == "l2" else diff.abs()).mean(-1)
        keep = (~batch["action_is_pad"]).float()
        return (err * keep).sum() / keep.sum().clamp(min=1)

    def reset(self, seed: int | None = None) -> None:
        self._window = ObservationWindow(self.config.n_obs_steps)
        self._image_windows = {k: ObservationWindow(self.config.n_obs_steps, torch.uint8) for k in self.image_shapes}
        self._queue: deque = deque()
        self._chunks: list[tuple[int, torch.Tensor]] = []
        self._sent = deque([torch.zeros(self.action_dim)] * self.config.n_past_actions, self.config.n_past_actions)
        self._t = 0

    @torch.no_grad()
    def select_action(self, obs: np.ndarray | Mapping[str, np.ndarray]) -> np.ndarray:
        """One (A,) action for the step's observation (`Policy.select_action`), keeping the
        window and chunks."""
        vector, frames = self.split_observation(obs)
        window = self._window.push(vector)
        images = {k: self._image_windows[k].push(frame) for k, frame in frames.items()}

        past = torch.stack(list(self._sent))[None] if self._sent else None

        def predict() -> torch.Tensor:
            return self.normalizer.unaction(self(window, images, past_actions=past)[0])

        m = self.config.temporal_ensemble
        if m is None:
            if not self._queue:
                self._queue.extend(predict()[: self.config.n_action_steps])
            action = self._queue.popleft()
        else:
            self._chunks.append((self._t, predict()))
            self._chunks = [(t0, c) for t0, c in self._chunks if self._t - t0 < self.config.chunk_size]
            preds = torch.stack([c[self._t - t0] for t0, c in self._chunks])  # oldest first
            # exp(−m·i) normalized; softmax keeps it finite for any m
            weights = torch.softmax(-m * torch.arange(len(preds), dtype=torch.float32), 0)
            action = (weights[:, None] * preds).sum(0)
        self._t += 1
        self._sent.append(action)
        return action.numpy()
