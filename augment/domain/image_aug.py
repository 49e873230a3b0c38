"""Image-space augmentation of rendered frames: colour jitter, blur and pixel noise.

The cheap stand-in for a generative world model (Cosmos' role): it changes how frames look after
rendering, not the scene. Plain numpy on uint8 frames `(..., H, W, 3)`, so the same functions
serve the domain wrapper, a training loop or a notebook. Colour and blur are drawn once per
episode (`draw_image_jitter`), as a camera's settings would be; noise is fresh every frame.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .profiles import ImageSpec

LUMA_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R BT.601, as torchvision's rgb_to_grayscale; training's jitter too


@dataclass(frozen=True)
class ImageJitter:
    """One episode's drawn image augmentation; the identity by default."""

    brightness: float = 0.0  # added, fraction of full scale
    contrast: float = 1.0  # × about the frame mean
    saturation: float = 1.0  # × distance from grey
    gain: tuple[float, float, float] = (1.0, 1.0, 1.0)  # × per channel
    blur_sigma: float = 0.0  # px; 0: no blur
    noise_std: float = 0.0  # 0-255 units, fresh per frame

    def as_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else float(v)) for k, v in asdict(self).items()}


def draw_image_jitter(spec: ImageSpec, rng: np.random.Generator) -> ImageJitter:
    """An episode's augmentation parameters (identity when the section is off)."""
    if not spec.enabled:
        return ImageJitter()

    def around_one(x: float) -> float:
        return float(rng.uniform(1 - x, 1 + x))

    blurred = rng.random() < spec.blur_prob
    return ImageJitter(
        brightness=float(rng.uniform(-spec.brightness, spec.brightness)),
        contrast=around_one(spec.contrast),
        saturation=around_one(spec.saturation),
        gain=tuple(rng.uniform(1 - spec.color_gain, 1 + spec.color_gain, 3).tolist()),
        blur_sigma=float(rng.uniform(spec.blur_sigma_px / 2, spec.blur_sigma_px)) if blurred else 0.0,
        noise_std=spec.noise_std,
    )


def _gaussian_kernel(sigma: float) -> np.ndarray:
    radius = max(1, int(np.ceil(2.5 * sigma)))
    x = np.arange(-radius, radius + 1)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def _blur_axis(img: np.ndarray, kernel: np.ndarray, axis: int) -> np.ndarray:
    """Separable convolution along one image axis, edges repeated (no dark border)."""
    r = len(kernel) // 2
    pad = [(0, 0)] * img.ndim
    pad[axis] = (r, r)
    padded = np.pad(img, pad, mode="edge")
    n = img.shape[axis]
    return sum(w * np.take(padded, np.arange(i, i + n), axis=axis) for i, w in enumerate(kernel))


def augment_frames(frames: np.ndarray, jitter: ImageJitter, rng: np.random.Generator | None = None) -> np.ndarray:
    """Apply `jitter` to uint8 frames (..., H, W, 3); returns new uint8 frames of the same shape.
    `rng` draws the pixel noise (needed only when `jitter.noise_std` > 0)."""
    if jitter == ImageJitter():
        return frames
    x = frames.astype(np.float32) / 255.0
    x = x * np.asarray(jitter.gain, np.float32)
    grey = (x @ np.asarray(LUMA_WEIGHTS, np.float32))[..., None]
    x = grey + (x - grey) * jitter.saturation
    mean = x.mean(axis=(-3, -2, -1), keepdims=True)
    x = mean + (x - mean) * jitter.contrast + jitter.brightness
    if jitter.blur_sigma > 0:
        kernel = _gaussian_kernel(jitter.blur_sigma)
        x = _blur_axis(_blur_axis(x, kernel, x.ndim - 3), kernel, x.ndim - 2)
    if jitter.noise_std > 0:
        if rng is None:
            raise ValueError(f"augment_frames: noise_std={jitter.noise_std} needs an rng")
        x = x + rng.standard_normal(x.shape, dtype=np.float32) * np.float32(jitter.noise_std / 255.0)
    return (np.clip(x, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
