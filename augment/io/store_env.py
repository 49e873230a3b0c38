"""A task env whose observations are the store's vectors: what a Minari export's env_spec names.

The store keeps `observation.state` (joints, TCP pose, gripper) and `observation.environment_state`
(object poses) as flat vectors, and cameras as frames; the Minari export writes them as the Dict
observation `{"state", "environment_state", "image_<camera>"}`. `make_store_env` builds the task
env wrapped to produce exactly that layout, so `MinariDataset.recover_environment()` gives an env
a policy trained on the dataset can run in. Its entry point is a "module:callable" string and
every kwarg is JSON, so the EnvSpec serialises into Minari's metadata.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.envs.registration import EnvSpec

from ...envs import TASKS, DemoforgeError, EnvConfig, gym_id, make_task, make_task_env
from ...envs.observation import (
    IMAGE_PREFIX,
    OBSERVATION_PREFIX,
    VECTOR_FEATURES,
    camera_feature,
    env_image_key,
    is_image_key,
)

ENTRY_POINT = f"{__name__}:make_store_env"


class StoreObservation(gym.ObservationWrapper):
    """Observations as the store's vectors plus `image_<camera>` frames (Minari export keys)."""

    def __init__(self, env: gym.Env, cameras: tuple[str, ...]):
        super().__init__(env)
        self.cameras = cameras
        inner = env.observation_space
        spaces: dict[str, gym.spaces.Box] = {
            f.short_key: _vector(sum(inner[part.key].shape[0] for part in f.fields)) for f in VECTOR_FEATURES
        }
        for cam in cameras:
            key = env_image_key(cam)
            spaces[key] = gym.spaces.Box(0, 255, inner[key].shape, np.uint8)
        self.observation_space = gym.spaces.Dict(spaces)

    def observation(self, obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = {f.short_key: f.vector(obs).astype(np.float32) for f in VECTOR_FEATURES}
        for cam in self.cameras:
            out[env_image_key(cam)] = obs[env_image_key(cam)]
        return out


def _vector(dim: int) -> gym.spaces.Box:
    return gym.spaces.Box(-np.inf, np.inf, (dim,), np.float32)


def make_store_env(
    task: str,
    cameras: list[str] | tuple[str, ...] = (),
    image_size: list[int] | tuple[int, int] = (84, 84),
    control_hz: float = 20.0,
    render_mode: str | None = None,
) -> gym.Env:
    """Task `task`'s env (default task config, no domain profile) with store-layout observations."""
    cameras = tuple(cameras)
    config = EnvConfig(cameras=cameras, image_size=(int(image_size[0]), int(image_size[1])), control_hz=control_hz)
    return StoreObservation(make_task_env(task, config=config, render_mode=render_mode), cameras)


def store_env_spec(task: str, features: dict[str, dict[str, Any]], fps: int) -> EnvSpec | None:
    """The EnvSpec of `make_store_env` that produces exactly the observation features `features`
    (the dataset's `observation.*`), or None when no task env does (foreign or reshaped data)."""
    if task not in TASKS:
        return None
    obs = {k: f for k, f in features.items() if k.startswith(OBSERVATION_PREFIX)}
    objects = make_task(task).objects
    for vector in VECTOR_FEATURES:
        names = vector.names(objects)
        f = obs.pop(vector.key, None)
        if f is None or f["dtype"] != "float32" or list(f["shape"]) != [len(names)] or f.get("names") != names:
            return None
    cameras = [k.removeprefix(IMAGE_PREFIX) for k in obs if is_image_key(k)]
    if len(cameras) != len(obs) or features.get("action", {}).get("shape") != [7]:
        return None
    sizes = {tuple(obs[camera_feature(c).key]["shape"]) for c in cameras}
    if len(sizes) > 1 or any(len(s) != 3 or s[2] != 3 for s in sizes):
        return None
    size = list(next(iter(sizes))[:2]) if sizes else [84, 84]
    try:
        EnvConfig(cameras=tuple(cameras), image_size=tuple(size), control_hz=float(fps))
    except DemoforgeError:  # a camera the scene lacks, a rate it cannot run at
        return None
    return EnvSpec(
        id=gym_id(task).replace("-v0", "-store-v0"),
        entry_point=ENTRY_POINT,
        kwargs={"task": task, "cameras": cameras, "image_size": size, "control_hz": float(fps)},
    )
