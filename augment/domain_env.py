"""`DomainRandomizationWrapper`: runs a task env inside a domain profile.

Model families (physics, visual, gripper strength, object size) are drawn on reset through the
env's reset hook; scene jitter through its placement hook; sensor noise and frozen frames on
each observation; latency and action noise on each action; image augmentation on each camera
frame. The wrapper owns two random streams, both seeded from the reset seed: the physics stream
(everything that can change a state) and the look stream (textures, lighting, image augmentation),
so appearance never shifts a physics draw. A seed gives the same object layout in every profile
and a randomized episode is fully determined by its seed. The drawn parameters are returned at
reset in `info["domain"]` for the episode's metadata.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from ..envs import ManipulationEnv, make_task_env
from ..envs.geometry import quat_mul, yaw_quat
from ..envs.observation import ENV_FIELDS
from .image_aug import ImageJitter, augment_frames, draw_image_jitter
from .profiles import Profile, load_profile
from .randomize import DomainRandomizer

_STREAM = 0xD0  # mixes into the reset seed so the wrapper's draws never alias the env's own
_LOOK_STREAM = 0x100C  # the look stream's mix, distinct from both


class DomainRandomizationWrapper(gym.Wrapper):
    def __init__(self, env: gym.Env, profile: Profile | str | Path):
        super().__init__(env)
        base = env.unwrapped
        if not isinstance(base, ManipulationEnv):
            raise TypeError(f"DomainRandomizationWrapper needs a demoforge ManipulationEnv, got {type(base).__name__}")
        self.base: ManipulationEnv = base
        self.profile = profile if isinstance(profile, Profile) else load_profile(profile)
        self.randomizer = DomainRandomizer(base)
        base.reset_hooks.append(self._draw_model)
        base.placement_hooks.append(self._jitter_placement)
        self.rng = np.random.default_rng()
        self.look_rng = np.random.default_rng()
        self.image_jitter = ImageJitter()
        self.drawn: dict[str, Any] = {}
        self._pending: deque[np.ndarray] = deque()
        self._latency = 0
        self._last_obs: dict[str, np.ndarray] | None = None

    # hooks called from inside env.reset ---------------------------------------------------------

    def _draw_model(self, env: ManipulationEnv, _env_rng: np.random.Generator) -> None:
        self.drawn = self.randomizer.apply(self.profile, self.rng, self.look_rng)
        self.image_jitter = draw_image_jitter(self.profile.image, self.look_rng)
        if self.profile.image.enabled:
            self.drawn["image"] = self.image_jitter.as_dict()
        spec = self.profile.action
        self._latency = int(self.rng.integers(spec.latency_steps[0], spec.latency_steps[1] + 1)) if spec.enabled else 0
        if spec.enabled:
            self.drawn.setdefault("action", {})["latency_steps"] = self._latency

    def _jitter_placement(self, env: ManipulationEnv, _env_rng: np.random.Generator) -> None:
        spec = self.profile.scene
        if not spec.enabled:
            return
        size = self.drawn.get("scene", {}).get("object_size_scale", 1.0)
        m, d = env.model, env.data
        offsets = {}
        for body in self.randomizer.ids.free_bodies:
            qadr = m.jnt_qposadr[m.body_jntadr[body]]
            dxy = self.rng.uniform(-spec.object_xy_jitter, spec.object_xy_jitter, 2)
            dyaw = np.deg2rad(self.rng.uniform(-spec.object_yaw_jitter_deg, spec.object_yaw_jitter_deg))
            d.qpos[qadr : qadr + 2] += dxy
            d.qpos[qadr + 2] *= size  # resting objects' centres sit at their (scaled) half height
            q = d.qpos[qadr + 3 : qadr + 7].copy()
            turn = yaw_quat(dyaw)
            d.qpos[qadr + 3 : qadr + 7] = quat_mul(turn, q)
            offsets[m.body(body).name] = [*dxy.tolist(), float(dyaw)]
        self.drawn["scene"] = {**self.drawn.get("scene", {}), "object_offsets_xy_yaw": offsets}

    # Gymnasium API --------------------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        if seed is not None:
            self.rng = np.random.default_rng([seed, _STREAM])
            self.look_rng = np.random.default_rng([seed, _LOOK_STREAM])
        obs, info = self.env.reset(seed=seed, options=options)
        self._forget()
        info["domain"] = {"profile": self.profile.name, "version": self.profile.version, **self.drawn}
        return self._sense(self._augment_images(obs)), info

    def step(self, action):
        action = self.base.validate_action(action)  # fail now, not `latency` steps later
        spec = self.profile.action
        if spec.enabled and spec.noise_std > 0:
            action = action.copy()
            action[:6] += self.rng.normal(0.0, spec.noise_std, 6)
        self._pending.append(action)
        if len(self._pending) > self._latency:
            applied = self._pending.popleft()
        else:  # nothing has arrived yet: the arm holds still, the gripper stays as it was
            applied = np.zeros_like(action)
            applied[-1] = -1.0
        obs, reward, terminated, truncated, info = self.env.step(applied)
        return self._sense(self._augment_images(obs)), reward, terminated, truncated, info

    def resync(self) -> dict[str, np.ndarray]:
        """After the simulator state was set from outside (a recorded state restored): forget the
        actions in flight and the last reading, and return what the sensors read now."""
        self._forget()
        return self._sense(self._augment_images(self.base._observe()))

    def _forget(self) -> None:
        self._pending.clear()
        self._last_obs = None

    def _augment_images(self, obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Image augmentation of every camera frame, before the sensor family (whose frozen
        frames then repeat the augmented frame, as a stalled camera would)."""
        if not self.profile.image.enabled:
            return obs
        return {
            k: augment_frames(v, self.image_jitter, self.look_rng) if k.startswith("image_") else v
            for k, v in obs.items()
        }

    def _sense(self, obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        spec = self.profile.sensor
        if not spec.enabled:
            return obs
        if self._last_obs is not None and self.rng.random() < spec.frozen_obs_prob:
            return {k: v.copy() for k, v in self._last_obs.items()}
        noisy = dict(obs)
        stds = {"proprio": spec.proprio_noise_std, "object_pose": spec.object_pose_noise_std}
        for f in ENV_FIELDS:  # the spec's order is the order of the draws: keep it for same-seed replays
            std = stds[f.sensor]
            if std > 0:
                noisy[f.key] = (obs[f.key] + self.rng.normal(0.0, std, obs[f.key].shape)).astype(np.float32)
        for f in ENV_FIELDS:  # keep quaternions unit length after the noise
            if f.quaternion:
                q = noisy[f.key].reshape(-1, 4)
                noisy[f.key] = (q / np.linalg.norm(q, axis=1, keepdims=True)).ravel().astype(np.float32)
        self._last_obs = noisy
        return noisy

    def close(self) -> None:
        self.randomizer.restore()
        super().close()


def make_domain_env(task: str, profile: Profile | str | Path = "nominal", **env_kwargs) -> DomainRandomizationWrapper:
    """A task env inside a domain profile (built-in name or TOML path), e.g.
    `make_domain_env("Lift", "randomized")`. `env_kwargs` go to `demoforge.envs.make_task_env`."""
    return DomainRandomizationWrapper(make_task_env(task, **env_kwargs), profile)
