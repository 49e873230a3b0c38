"""Episode store throughput: write and read frames/s, state-only and with an 84×84 camera.

Synthetic episodes of 100 frames with the feature set a recorded demo has; writing includes
per-episode stats and the crash-safe commit, reading includes video decoding.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
from demoforge.augment.dataset import Dataset, Episode, video_feature
from demoforge.augment.dataset_writer import DatasetWriter

from .common import print_table

EPISODES, LENGTH = 20, 100


def _features(camera: bool) -> dict:
    feats = {
        "observation.state": {"dtype": "float32", "shape": [23], "names": None},
        "observation.environment_state": {"dtype": "float32", "shape": [20], "names": None},
        "action": {"dtype": "float32", "shape": [7], "names": None},
        "next.reward": {"dtype": "float32", "shape": [1], "names": None},
        "sim.state": {"dtype": "float64", "shape": [44], "names": None},
    }
    if camera:
        feats["observation.images.front"] = video_feature(84, 84, 20)
    return feats


def _episode(rng: np.random.Generator, camera: bool) -> Episode:
    data = {
        "observation.state": rng.normal(size=(LENGTH, 23)).astype(np.float32),
        "observation.environment_state": rng.normal(size=(LENGTH, 20)).astype(np.float32),
        "action": rng.uniform(-1, 1, (LENGTH, 7)).astype(np.float32),
        "next.reward": np.zeros(LENGTH, np.float32),
        "sim.state": rng.normal(size=(LENGTH, 44)),
    }
    videos = {}
    if camera:  # a moving gradient: realistic for the codec, unlike noise
        x = np.linspace(0, 255, 84)
        videos["observation.images.front"] = np.stack(
            [np.broadcast_to(((x[None, :, None] + 3 * t) % 256), (84, 84, 3)) for t in range(LENGTH)]
        ).astype(np.uint8)
    return Episode("bench", data, videos, {"seed": 0})


def measure(camera: bool) -> tuple[float, float]:
    rng = np.random.default_rng(0)
    episodes = [_episode(rng, camera) for _ in range(EPISODES)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ds"
        start = time.perf_counter()
        with DatasetWriter.create(root, _features(camera), fps=20) as writer:
            for ep in episodes:
                writer.add_episode(ep)
        write = EPISODES * LENGTH / (time.perf_counter() - start)
        start = time.perf_counter()
        frames = sum(ep.length for ep in Dataset(root))
        read = frames / (time.perf_counter() - start)
    return write, read


def main() -> None:
    rows = []
    for camera in (False, True):
        write, read = measure(camera)
        rows.append(["state + 84×84 video" if camera else "state only", f"{write:,.0f}", f"{read:,.0f}"])
    print_table(
        f"episode store, {EPISODES} episodes × {LENGTH} frames", ["data", "write frames/s", "read frames/s"], rows
    )


if __name__ == "__main__":
    main()
