"""The image encoder of policies that see: one small ResNet per camera, GroupNorm instead of
BatchNorm, and a spatial-softmax keypoint head — robomimic's `VisualCore` (ResNet18Conv →
SpatialSoftmax → Linear) with Diffusion Policy's GroupNorm swap (BatchNorm's running statistics
drift when a policy is trained on few, highly correlated frames and then rolled out).

Written in plain torch: torchvision cannot be installed beside the CPU torch build. The default
is a narrow ResNet-18 (a quarter of its widths, one block per stage instead of two) so a vision
BC trains on 2 CPU cores in minutes; `ImageEncoderConfig(widths=(64, 128, 256, 512),
blocks_per_stage=2)` is ResNet-18's layout.

Input: uint8 frames (..., C, H, W). Training crops each frame at a random offset (robomimic's
CropRandomizer: 76 × 76 of 84 × 84) and jitters its colours (Diffusion Policy's real-robot
ColorJitter, a per-channel gain standing in for hue); evaluation takes the centre crop of the same
size as it is. Pixels are scaled to [0, 1]; no per-pixel statistics.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch
from torch import nn

from ...augment.domain.image_aug import LUMA_WEIGHTS


@dataclass(frozen=True)
class ImageEncoderConfig:
    # Channels of each ResNet stage; the first keeps the stem's resolution, each later one halves
    # it. ResNet-18: (64, 128, 256, 512), ~11 M parameters and ~16× this default's compute.
    widths: tuple[int, ...] = (16, 32, 64, 128)
    blocks_per_stage: int = 1  # basic blocks per stage (ResNet-18: 2)
    group_size: int = 16  # channels per GroupNorm group (Diffusion Policy: num_groups = channels // 16)
    keypoints: int = 32  # spatial-softmax keypoints per camera (robomimic: 32)
    features: int = 64  # output width per camera and frame (robomimic's feature_dimension: 64)
    # px. Training crops (H − 2·max_shift) × (W − 2·max_shift) at a random offset, evaluation the
    # centre: robomimic crops 76 × 76 from 84 × 84 (Diffusion Policy the same for its 84 px tasks).
    # 0: no augmentation.
    max_shift: int = 4
    # Training-time colour jitter, drawn per frame: brightness × U(1 ± b), contrast and saturation
    # scaled about the frame's grey by U(1 ± c) and U(1 ± s), each channel × U(1 ± g). Diffusion
    # Policy's real-robot ColorJitter (0.3, 0.4, 0.5; its hue 0.08 becomes a channel gain as wide as
    # `randomized`'s light_color_jitter, 0.2). Unlike the profile's [image] family, which is baked
    # into the recorded frames once, a frame looks different every time it is drawn. 0: off.
    brightness: float = 0.3
    contrast: float = 0.4
    saturation: float = 0.5
    channel_gain: float = 0.2

    def __post_init__(self) -> None:
        if not self.widths or any(w < 1 for w in self.widths):
            raise ValueError(f"ImageEncoderConfig.widths={self.widths}: expected at least one positive width")
        for name in ("blocks_per_stage", "group_size", "keypoints", "features"):
            if getattr(self, name) < 1:
                raise ValueError(f"ImageEncoderConfig.{name}={getattr(self, name)}: expected ≥ 1")
        if self.max_shift < 0:
            raise ValueError(f"ImageEncoderConfig.max_shift={self.max_shift}: expected ≥ 0")
        for name in ("brightness", "contrast", "saturation", "channel_gain"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"ImageEncoderConfig.{name}={getattr(self, name)}: expected in [0, 1)")

    @property
    def jitters_colour(self) -> bool:
        return any((self.brightness, self.contrast, self.saturation, self.channel_gain))

    @classmethod
    def from_dict(cls, raw: dict) -> ImageEncoderConfig:
        """The config of its `asdict` form (checkpoint metadata, `--set encoder={...}`)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValueError(f"ImageEncoderConfig has no field {unknown[0]!r}; known: {', '.join(sorted(known))}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()})


def group_norm(channels: int, group_size: int) -> nn.GroupNorm:
    return nn.GroupNorm(max(1, channels // group_size), channels)


class BasicBlock(nn.Module):
    """ResNet's two-convolution residual block, GroupNorm for BatchNorm."""

    def __init__(self, c_in: int, c_out: int, stride: int, group_size: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False),
            group_norm(c_out, group_size),
            nn.ReLU(inplace=True),
            nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False),
            group_norm(c_out, group_size),
        )
        self.shortcut = (
            nn.Identity()
            if stride == 1 and c_in == c_out
            else nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), group_norm(c_out, group_size))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


class SpatialSoftmax(nn.Module):
    """Feature map (N, C, h, w) → (N, 2K) expected image coordinates in [−1, 1] of K keypoints,
    each a softmax over the map of a 1×1 convolution (robomimic's SpatialSoftmax, temperature 1)."""

    def __init__(self, channels: int, keypoints: int):
        super().__init__()
        self.to_keypoints = nn.Conv2d(channels, keypoints, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        logits = self.to_keypoints(x).flatten(2)  # (N, K, h·w)
        attention = torch.softmax(logits, -1)
        ys, xs = torch.meshgrid(
            torch.linspace(-1, 1, h, device=x.device), torch.linspace(-1, 1, w, device=x.device), indexing="ij"
        )
        grid = torch.stack([xs.flatten(), ys.flatten()], -1)  # (h·w, 2): x then y, as robomimic
        return (attention @ grid).flatten(1)  # (N, K·2)


def crop(
    frames: torch.Tensor, height: int, width: int, random: bool = False, generator: torch.Generator | None = None
) -> torch.Tensor:
    """(N, C, H, W) → (N, C, height, width): each frame at its own random offset if `random` (drawn
    from `generator` on the CPU, so a seeded run repeats them on any device), else the centre."""
    n, _, h, w = frames.shape
    if not random:
        top, left = (h - height) // 2, (w - width) // 2
        return frames[:, :, top : top + height, left : left + width]
    top = torch.randint(0, h - height + 1, (n,), generator=generator).tolist()
    left = torch.randint(0, w - width + 1, (n,), generator=generator).tolist()
    # One slice per frame, stacked: 8× faster than one gather over (frame, row, column) indices
    # (128 frames of 84 × 84 on one core: 8.4 → 1.0 ms), the same pixels, and contiguous.
    return torch.stack([f[:, t : t + height, c : c + width] for f, t, c in zip(frames, top, left)])


def jitter_colour(
    x: torch.Tensor, config: ImageEncoderConfig, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Float frames (N, 3, H, W) in [0, 1] → each with its own brightness, contrast, saturation and
    channel gain, clamped to [0, 1]. Factors are drawn from `generator` on the CPU, as the crops."""
    n = x.shape[0]

    def factors(width: float, count: int = 1) -> torch.Tensor:
        u = torch.rand(n, count, generator=generator).to(x.device)
        return (1 + width * (2 * u - 1))[:, :, None, None]  # (N, count, 1, 1)

    grey_weights = torch.tensor(LUMA_WEIGHTS, device=x.device)[None, :, None, None]
    # In place after the first product (the frames need no gradient): the same numbers in half
    # the time of a new tensor per operation (128 frames of 76 × 76 on one core: 21 → 11 ms).
    x = (x * factors(config.brightness)).clamp_(0, 1)
    mean = (x * grey_weights).sum(1, keepdim=True).mean((2, 3), keepdim=True)
    x = x.sub_(mean).mul_(factors(config.contrast)).add_(mean).clamp_(0, 1)
    grey = (x * grey_weights).sum(1, keepdim=True)
    x = x.sub_(grey).mul_(factors(config.saturation)).add_(grey).clamp_(0, 1)
    return x.mul_(factors(config.channel_gain, 3)).clamp_(0, 1)


class ImageEncoder(nn.Module):
    """One camera's frames (..., C, H, W) uint8 → (..., features) float."""

    def __init__(self, config: ImageEncoderConfig, shape: tuple[int, int, int]):
        super().__init__()
        channels, height, width = shape
        if min(height, width) - 2 * config.max_shift < 16:
            raise ValueError(
                f"ImageEncoderConfig.max_shift={config.max_shift} leaves less than 16 px of a {height}×{width} image"
            )
        self.config, self.shape = config, tuple(shape)
        self.crop_size = (height - 2 * config.max_shift, width - 2 * config.max_shift)
        g = config.group_size
        first = config.widths[0]
        layers: list[nn.Module] = [  # ResNet's stem: 7×7 stride-2 convolution, then a stride-2 max-pool
            nn.Conv2d(channels, first, 7, 2, 3, bias=False),
            group_norm(first, g),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1),
        ]
        c_in = first
        for stage, c_out in enumerate(config.widths):
            for block in range(config.blocks_per_stage):
                stride = 2 if stage > 0 and block == 0 else 1
                layers.append(BasicBlock(c_in, c_out, stride, g))
                c_in = c_out
        self.backbone = nn.Sequential(*layers)
        self.keypoints = SpatialSoftmax(c_in, config.keypoints)
        self.project = nn.Linear(2 * config.keypoints, config.features)

    def forward(self, frames: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """`generator`: draws the training crops and colour jitter (torch's global one if None); eval
        mode crops the centre and leaves colours as they are."""
        lead = frames.shape[:-3]
        x = frames.reshape(-1, *frames.shape[-3:])
        if tuple(x.shape[1:]) != self.shape:
            raise ValueError(f"image encoder built for {self.shape} (C, H, W) frames, got {tuple(x.shape[1:])}")
        x = crop(x, *self.crop_size, random=self.training and self.config.max_shift > 0, generator=generator)
        x = x.float() / 255.0
        if self.training and self.config.jitters_colour and x.shape[1] == 3:
            x = jitter_colour(x, self.config, generator)
        return self.project(self.keypoints(self.backbone(x))).reshape(*lead, -1)
