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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from ...envs import ManipulationEnv, make_task_env
from ...envs.control import Control
from ...envs.geometry import quat_mul, yaw_quat
from ...envs.observation import ENV_FIELDS, ENV_IMAGE_PREFIX
from .image_aug import ImageJitter, augment_frames, draw_image_jitter
from .profiles import Profile, load_profile
from .randomize import DomainRandomizer

_STREAM = 0xD0  # mixes into the reset seed so the wrapper's draws never alias the env's own
_LOOK_STREAM = 0x100C  # the look stream's mix, distinct from both


@dataclass
class EpisodeDomain:
    """One episode's share of the domain, the part that acts per step: its random streams and the
    actions in flight. Drawn at reset; the wrapper holds one, the batched generation runner one per
    simulation it steps, both through `perturb_action` and `sense`."""

    rng: np.random.Generator  # physics stream: model draws, action and sensor noise, frozen frames
    look_rng: np.random.Generator  # look stream: textures, lighting, image augmentation
    image_jitter: ImageJitter = field(default_factory=ImageJitter)
    latency: int = 0  # control steps between an action and its effect
    pending: deque = field(default_factory=deque)  # actions sent, not yet applied
    last_obs: dict[str, np.ndarray] | None = None  # the last reading, for frozen frames

    def forget(self) -> None:
        self.pending.clear()
        self.last_obs = None


def perturb_action(
    profile: Profile, episode: EpisodeDomain, action: np.ndarray, control: Control, ctrl: np.ndarray
) -> np.ndarray:
    """The action the arm receives this step for a validated `action` sent now, in `control`'s
    mode, by a simulation whose controls are now `ctrl`: action noise on the motion part
    (`Control.add_motion_noise`), then `latency` steps of delay; until something arrives, the
    action that holds the arm where it is commanded to be, gripper open (`Control.hold_action`)."""
    spec = profile.action
    if spec.enabled and spec.noise_std > 0:
        action = control.add_motion_noise(action, episode.rng, spec.noise_std)
    episode.pending.append(action)
    if len(episode.pending) > episode.latency:
        return episode.pending.popleft()
    return control.hold_action(ctrl)


def sense(profile: Profile, episode: EpisodeDomain, obs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """What the sensors read for a true observation: image augmentation of every camera frame,
    before the sensor family (whose frozen frames then repeat the augmented frame, as a stalled
    camera would), then sensor noise or a frozen frame."""
    return sense_rows(profile, [episode], {k: v[None] for k, v in obs.items()})[0]


def sense_rows(
    profile: Profile, episodes: list[EpisodeDomain], obs: dict[str, np.ndarray]
) -> list[dict[str, np.ndarray]]:
    """`sense` of n true observations at once (obs: key → (n, ...)), row r read through
    episodes[r]: each row draws from its own episode's streams, in the order one observation
    does, and the arithmetic is elementwise, so a row reads what it would alone (the batched
    generation runner senses all its simulations in one pass)."""
    rows = [{k: v[r] for k, v in obs.items()} for r in range(len(episodes))]
    if profile.image.enabled:
        rows = [
            {
                k: augment_frames(v, ep.image_jitter, ep.look_rng) if k.startswith(ENV_IMAGE_PREFIX) else v
                for k, v in row.items()
            }
            for row, ep in zip(rows, episodes)
        ]
    spec = profile.sensor
    if not spec.enabled:
        return rows
    stds = {"proprio": spec.proprio_noise_std, "object_pose": spec.object_pose_noise_std}
    fields = [f for f in ENV_FIELDS if stds[f.sensor] > 0]  # the spec's order is the order of the draws
    sizes = [obs[f.key][0].size for f in fields]
    fresh, draws = [], []  # rows read afresh (not a frozen frame), and their standard normals
    for r, ep in enumerate(episodes):
        if ep.last_obs is not None and ep.rng.random() < spec.frozen_obs_prob:
            rows[r] = {k: v.copy() for k, v in ep.last_obs.items()}
        else:
            fresh.append(r)
            # One draw for all fields: a Generator's normals come off its stream one by one, so
            # these are the numbers one draw per field gives, in a fraction of the calls.
            draws.append(ep.rng.normal(0.0, 1.0, sum(sizes)))
    if not fresh:
        return rows
    # normal(0, std) is 0 + std · z, computed here as there
    noise = 0.0 + np.repeat([stds[f.sensor] for f in fields], sizes) * np.array(draws)
    noisy, end = {}, 0
    for f, size in zip(fields, sizes):
        start, end = end, end + size
        true = obs[f.key][fresh]
        noisy[f.key] = (true + noise[:, start:end].reshape(true.shape)).astype(np.float32)
    for f in ENV_FIELDS:  # keep quaternions unit length after the noise
        if f.quaternion:
            q = noisy.get(f.key, obs[f.key][fresh])
            unit = q.reshape(-1, 4) / np.linalg.norm(q.reshape(-1, 4), axis=1, keepdims=True)
            noisy[f.key] = unit.reshape(q.shape).astype(np.float32)
    for j, r in enumerate(fresh):
        rows[r] = {**rows[r], **{k: v[j] for k, v in noisy.items()}}
        episodes[r].last_obs = rows[r]
    return rows


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
        self.episode = EpisodeDomain(np.random.default_rng(), np.random.default_rng())
        self.drawn: dict[str, Any] = {}

    @property
    def rng(self) -> np.random.Generator:
        return self.episode.rng

    # hooks called from inside env.reset ---------------------------------------------------------

    def _draw_model(self, env: ManipulationEnv, _env_rng: np.random.Generator) -> None:
        ep = self.episode
        scene = self.profile.scene
        env.task.widen_reset(scene.reset_widen if scene.enabled else 1.0)
        self.drawn = self.randomizer.apply(self.profile, ep.rng, ep.look_rng)
        ep.image_jitter = draw_image_jitter(self.profile.image, ep.look_rng)
        if self.profile.image.enabled:
            self.drawn["image"] = ep.image_jitter.as_dict()
        spec = self.profile.action
        ep.latency = int(ep.rng.integers(spec.latency_steps[0], spec.latency_steps[1] + 1)) if spec.enabled else 0
        if spec.enabled:
            self.drawn.setdefault("action", {})["latency_steps"] = ep.latency

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
        # a new episode object each reset: whoever kept the last one (the batched runner) keeps it whole
        if seed is not None:
            self.episode = EpisodeDomain(
                np.random.default_rng([seed, _STREAM]), np.random.default_rng([seed, _LOOK_STREAM])
            )
        else:
            self.episode = EpisodeDomain(self.episode.rng, self.episode.look_rng)
        obs, info = self.env.reset(seed=seed, options=options)
        info["domain"] = {"profile": self.profile.name, "version": self.profile.version, **self.drawn}
        return sense(self.profile, self.episode, obs), info

    def step(self, action):
        action = self.base.validate_action(action)  # fail now, not `latency` steps later
        applied = perturb_action(self.profile, self.episode, action, self.base.control, self.base.data.ctrl)
        obs, reward, terminated, truncated, info = self.env.step(applied)
        return sense(self.profile, self.episode, obs), reward, terminated, truncated, info

    def resync(self) -> dict[str, np.ndarray]:
        """After the simulator state was set from outside (a recorded state restored): forget the
        actions in flight and the last reading, and return what the sensors read now."""
        self.episode.forget()
        return sense(self.profile, self.episode, self.base._observe())

    def close(self) -> None:
        self.randomizer.restore()
        super().close()


def make_domain_env(task: str, profile: Profile | str | Path = "nominal", **env_kwargs) -> DomainRandomizationWrapper:
    """A task env inside a domain profile (built-in name or TOML path), e.g.
    `make_domain_env("Lift", "randomized")`. `env_kwargs` go to `demoforge.envs.make_task_env`."""
    return DomainRandomizationWrapper(make_task_env(task, **env_kwargs), profile)
