"""LeRobot-style vector envs of demoforge tasks: run anyone's LeRobot policy in our domains.

LeRobot's eval (`lerobot_eval.rollout`, 0.4.0–0.6.1) never hands an env's observation to a policy
as it is: `lerobot.envs.utils.preprocess_observation` maps the env's raw keys onto the dataset's —
`agent_pos` → `observation.state`, `environment_state` → `observation.environment_state`,
`pixels[<camera>]` (uint8 H×W×C) → `observation.images.<camera>` (float32 C×H×W in [0, 1]) — and
adds a batch dimension to unbatched arrays. An env returning `observation.state` itself would lose
it (0.4–0.5 drop unknown keys) or see it become `observation.observation.state` (0.6 passes other
keys through under `observation.`). So these envs return LeRobot's raw keys, holding exactly what
the dataset stores (`envs.observation`'s features, shapes from `record.features_for`): after
LeRobot's preprocessing, a policy trained on `demoforge collect` data gets its training keys,
dtypes and shapes (tests/augment/test_lerobot_env.py checks that against meta/info.json).

Info follows LeRobot's own envs (libero, metaworld): `is_success` every step, plus
`final_info = {"is_success": ...}` on the step an episode ends; lerobot 0.4–0.5 read only
`info["final_info"]["is_success"]`, 0.6 that or `info["is_success"]`. Each sub-env exposes what
the rollout asks through `env.call`: `task_description` (the dataset's task string, which
language-conditioned policies read), `task` and `_max_episode_steps`.

`reset(seed=[s0, s1, ...])` gives sub-env i the episode `make_env(task, profile).reset(seed=si)`
gives: the scene, the drawn domain and the sensor noise all follow from the seed.

An EnvHub `env.py` is three lines:
`def make_env(n_envs=1, use_async_envs=False): return make_vec_env("Lift", n_envs, use_async_envs=use_async_envs)`.
`lerobot-eval --env.type=demoforge` goes through the plugin in `integrations/lerobot_env_demoforge/`,
whose gym ids make their env with `lerobot_env_maker`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from ...envs import ConfigError, EnvConfig, carry_registrations, make_task_env, resolve_task_name
from ...envs.observation import LEROBOT_PIXELS, VECTOR_FEATURES, camera_feature, env_image_key, observation_features
from ..data.record import features_for
from ..domain.profiles import Profile, load_profile
from ..domain.wrapper import DomainRandomizationWrapper

# LeRobot's raw env key → the dataset feature its preprocess_observation turns it into
RAW_TO_DATASET = {f.lerobot_key: f.key for f in VECTOR_FEATURES}


class LeRobotObservation(gym.Wrapper):
    """A demoforge env (inside its domain profile) speaking LeRobot's env dialect."""

    def __init__(self, env: DomainRandomizationWrapper, cameras: tuple[str, ...]):
        super().__init__(env)
        base = env.unwrapped
        self.cameras = tuple(cameras)
        features = features_for(base, self.cameras, base.config.image_size)
        spaces: dict[str, gym.Space] = {
            raw: gym.spaces.Box(-np.inf, np.inf, tuple(features[key]["shape"]), np.float32)
            for raw, key in RAW_TO_DATASET.items()
        }
        if self.cameras:
            spaces[LEROBOT_PIXELS] = gym.spaces.Dict(
                {
                    c: gym.spaces.Box(0, 255, tuple(features[camera_feature(c).key]["shape"]), np.uint8)
                    for c in self.cameras
                }
            )
        self.observation_space = gym.spaces.Dict(spaces)
        # What LeRobot's rollout reads with env.call(); on the outermost wrapper, because
        # lerobot 0.4 also tests them with hasattr(env.envs[0], ...).
        self.task = base.task.name
        self.task_description = base.task.description
        self._max_episode_steps = base.task.max_episode_steps

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        obs, info = self.env.reset(seed=seed, options=options)
        return self._raw(obs), info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        if terminated or truncated:
            info["final_info"] = {"is_success": bool(info["is_success"])}
        return self._raw(obs), reward, terminated, truncated, info

    def _raw(self, obs: dict[str, np.ndarray]) -> dict[str, Any]:
        stored = observation_features(obs)
        raw: dict[str, Any] = {raw: stored[key].astype(np.float32) for raw, key in RAW_TO_DATASET.items()}
        if self.cameras:
            raw[LEROBOT_PIXELS] = {c: obs[env_image_key(c)] for c in self.cameras}
        return raw


def make_lerobot_env(task: str, profile: Profile, config: EnvConfig) -> LeRobotObservation:
    """One sub-env. `render()` gives the front camera, for lerobot-eval's videos."""
    env = make_task_env(task, config=config, render_mode="rgb_array")
    return LeRobotObservation(DomainRandomizationWrapper(env, profile), config.cameras)


def lerobot_env_maker(
    task: str,
    profile: str | Path | Profile = "target",
    cameras: tuple[str, ...] | list[str] = (),
    image_size: tuple[int, int] | list[int] = (84, 84),
) -> Callable[[], LeRobotObservation]:
    """A picklable no-argument maker of one LeRobot-dialect env of `task` in `profile` (what a
    vector env or a `gym.make` entry point calls); the names are checked here, once.
    Raises UnknownNameError for an unknown task or profile, ConfigError for a bad camera."""
    task = resolve_task_name(task)
    profile = profile if isinstance(profile, Profile) else load_profile(profile)
    config = EnvConfig(cameras=tuple(cameras), image_size=(int(image_size[0]), int(image_size[1])))
    return carry_registrations(partial(make_lerobot_env, task, profile, config))


def make_vec_env(
    task: str,
    n_envs: int = 1,
    profile: str | Path | Profile = "target",
    cameras: tuple[str, ...] | list[str] = (),
    image_size: tuple[int, int] = (84, 84),
    use_async_envs: bool = False,
) -> gym.vector.VectorEnv:
    """`n_envs` copies of `task` in domain `profile` as a Gymnasium vector env whose observations
    LeRobot's eval turns into the dataset keys of `demoforge collect --cameras ...` data (see the
    module docstring). `image_size` is (height, width). Async envs run in spawned processes (MuJoCo
    and EGL do not survive a fork), so scripts using them need an `if __name__ == "__main__":` guard.
    Raises UnknownNameError for an unknown task or profile, ConfigError for a bad count or camera."""
    if isinstance(n_envs, bool) or not isinstance(n_envs, int) or n_envs < 1:
        raise ConfigError(f"make_vec_env n_envs={n_envs!r}: expected an integer ≥ 1")
    env_fns = [lerobot_env_maker(task, profile, cameras, image_size)] * n_envs
    if use_async_envs:
        return gym.vector.AsyncVectorEnv(env_fns, context="spawn")
    return gym.vector.SyncVectorEnv(env_fns)


def policy_input_shapes(task: str, cameras: tuple[str, ...] = (), image_size: tuple[int, int] = (84, 84)) -> dict:
    """What LeRobot builds a policy's `input_features` from for `task` data with `cameras`:
    feature key → shape after its preprocessing, without the batch (images channel first)."""
    env = make_task_env(resolve_task_name(task), config=EnvConfig(cameras=tuple(cameras), image_size=image_size))
    try:
        features = features_for(env, tuple(cameras), image_size)
    finally:
        env.close()
    shapes = {key: tuple(features[key]["shape"]) for key in RAW_TO_DATASET.values()}
    for cam in cameras:
        key = camera_feature(cam).key
        h, w, c = features[key]["shape"]
        shapes[key] = (c, h, w)
    return shapes
