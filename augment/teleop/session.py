"""One teleoperation session: the env, the episode being driven, and the dataset it keeps episodes
in. Devices only press keys and give commands; `TeleopSession` turns them into steps recorded by
the same `EpisodeRecorder` as `demoforge collect` (signals, poses, sim state, cameras), so a
teleoperated demo is a source demo like any other.

An episode runs until the task succeeds or `max_steps` pass, then waits for a decision: `keep`
stores it (a failure only with `keep_failures`), `discard` drops it; `reset` drops the episode at
any time. Episode k of a dataset starts from reset seed `seed + k'` (k' counts discarded attempts
too), and a session resumed after a kill continues from the seed after the last kept episode."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...envs import EnvConfig, ManipulationEnv, make_task_env
from ...envs.observation import env_image_key
from ...envs.robots import RobotDescription
from ..data.record import EpisodeRecorder, features_for
from ..data.writer import DatasetWriter
from ..domain.wrapper import DomainRandomizationWrapper
from .config import TeleopConfig
from .keymap import MOUSE_DEADZONE, KeyState

SIDECAR = "meta/teleop.json"

READY, RUNNING, ENDED = "ready", "running", "ended"  # waiting for the first key; driven; waiting for keep/discard


@dataclass
class StepView:
    """What a device shows after a step: the state of the episode and the latest camera images."""

    episode: int
    step: int
    state: str
    success: bool
    signals: dict[str, bool]
    images: dict[str, np.ndarray] = field(default_factory=dict)
    tcp: list[float] = field(default_factory=list)
    objects: dict[str, list[float]] = field(default_factory=dict)
    gripper: float = -1.0


class TeleopSession:
    def __init__(self, config: TeleopConfig, writer: DatasetWriter, kept: int, seed: int):
        self.config, self.writer = config, writer
        env_cfg = EnvConfig(cameras=config.cameras, image_size=config.image_size, robot=config.robot_name)
        base = make_task_env(config.task, config=env_cfg)
        base.task.max_episode_steps = config.max_steps  # the limit env.step truncates at
        self.env = DomainRandomizationWrapper(base, config.profile)
        self.base: ManipulationEnv = base
        self.kept, self.seed = kept, seed
        self.attempts = 0
        self.notice = ""  # the last refusal, shown by the page
        self.start_episode()

    @staticmethod
    def features(config: TeleopConfig) -> tuple[dict, int, RobotDescription]:
        """The dataset features, fps and robot of `config`'s recordings (to create the dataset with)."""
        env = make_task_env(
            config.task, config=EnvConfig(cameras=config.cameras, image_size=config.image_size, robot=config.robot_name)
        )
        try:
            return features_for(env, config.cameras, config.image_size), int(env.config.control_hz), env.robot
        finally:
            env.close()

    @property
    def done(self) -> bool:
        return self.kept >= self.config.episodes

    def start_episode(self) -> None:
        self.obs, self.info = self.env.reset(seed=self.seed)
        self.recorder = EpisodeRecorder(self.base, self.config.cameras)
        self.keys = KeyState(self.config.speed, self.config.rot_speed)
        self.state, self.steps, self.success = READY, 0, False
        self.signals = dict.fromkeys(self.base.task.signals(), False)

    def press(self, key: str, down: bool) -> None:
        """A key event; the first key down starts the episode's clock (no idle frames before it)."""
        self.keys.press(key, down)
        if down and self.state == READY:
            self.state = RUNNING

    def pad(self, axes, buttons) -> None:
        """A gamepad's state; a stick off centre or the grip button starts the episode's clock."""
        self.keys.pad(axes, buttons)
        if self.state == READY and (any(self.keys.axes) or self.keys.pad_grip):
            self.state = RUNNING

    def mouse(self, axes, buttons) -> None:
        """A SpaceMouse's reading; the cap off centre or the grip button starts the episode's clock."""
        self.keys.mouse(axes, buttons)
        if self.state == READY and (any(abs(a) > MOUSE_DEADZONE for a in self.keys.mouse_axes) or self.keys.mouse_grip):
            self.state = RUNNING

    def tilt(self, angles: dict | None) -> None:
        """A phone's orientation (None: tilting off); tipped past the deadzone, it starts the clock."""
        self.keys.tilt(angles)
        if self.state == READY and any(self.keys.tilt_values().values()):
            self.state = RUNNING

    def step(self) -> None:
        """One control step of the running episode with the keys held now."""
        if self.state != RUNNING:
            return
        action = self.keys.action()
        self.recorder.observe(self.obs)
        self.obs, reward, terminated, truncated, info = self.env.step(action)
        self.success = bool(info["is_success"])
        self.signals = dict(info["subtasks"])
        self.recorder.act(action, reward, terminated or truncated, self.success, info["subtasks"])
        self.steps += 1
        if terminated or truncated:
            self.state = ENDED

    def keep(self) -> bool:
        """Store the ended episode and start the next; refused (False, `notice` says why) while it
        runs, or when it failed and `keep_failures` is off."""
        if self.state != ENDED:
            self.notice = "keep: the episode has not ended (succeed, or wait for the time limit)"
            return False
        if not self.success and not self.config.keep_failures:
            self.notice = "keep: the episode did not succeed (discard it, or start with --keep-failures)"
            return False
        meta = {
            "task": self.base.task.name,
            "seed": self.seed,
            "profile": self.env.profile.name,
            "domain": self.info["domain"],
            "success": self.success,
            "source": "teleop",
        }
        self.writer.add_episode(self.recorder.finish(self.base.task.description, meta))
        self.kept += 1
        self.notice = f"kept episode {self.kept}"
        self._next()
        return True

    def discard(self) -> None:
        """Drop the episode (ended or not) and start the next."""
        self.notice = "discarded"
        self._next()

    def _next(self) -> None:
        self.seed += 1
        self.attempts += 1
        if not self.done:
            self.start_episode()

    def view(self, images: bool = True) -> StepView:
        return StepView(
            episode=self.kept,
            step=self.steps,
            state=self.state,
            success=self.success,
            signals=self.signals,
            images={c: self.obs[env_image_key(c)] for c in self.config.cameras} if images else {},
            tcp=[round(float(v), 4) for v in self.base.eef_pose()[:3, 3]],
            objects={k: [round(float(v), 4) for v in p[:3, 3]] for k, p in self.base.object_poses().items()},
            gripper=self.keys.gripper,
        )

    def close(self) -> None:
        self.env.close()
