"""A picture of a domain profile: camera frames from several randomized resets, in a grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...envs import EnvConfig, make_task_env
from ...envs.observation import env_image_key
from .profiles import Profile
from .wrapper import DomainRandomizationWrapper


def preview_frames(
    task: str, profile: Profile | str | Path, count: int = 16, camera: str = "front", size: int = 128, seed: int = 0
) -> np.ndarray:
    """(count, size, size, 3) uint8 frames of `camera` after `count` resets (seeds seed, seed+1, …)."""
    env = DomainRandomizationWrapper(
        make_task_env(task, config=EnvConfig(cameras=(camera,), image_size=(size, size))), profile
    )
    frames = [env.reset(seed=seed + i)[0][env_image_key(camera)] for i in range(count)]
    env.close()
    return np.stack(frames)


def tile(frames: np.ndarray, columns: int | None = None, gap: int = 2) -> np.ndarray:
    """Frames (N, H, W, 3) → one grid image, white gaps between tiles."""
    n, h, w, _ = frames.shape
    columns = columns or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / columns))
    grid = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap, 3), 255, np.uint8)
    for i, frame in enumerate(frames):
        r, c = divmod(i, columns)
        grid[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = frame
    return grid


def save_preview(
    path: str | Path, task: str, profile: Profile | str | Path, count: int = 16, camera: str = "front"
) -> Path:
    """Write a PNG grid of randomized resets; returns the path written."""
    import matplotlib.image

    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"preview path {path} must end in .png")
    path.parent.mkdir(parents=True, exist_ok=True)
    matplotlib.image.imsave(path, tile(preview_frames(task, profile, count, camera)))
    return path
