"""Recording episodes from an env into the store's layout, and collecting expert demos.

Frame t holds the observation *before* action t, action t, and what followed it (`next.reward`,
`next.done`, `next.success`, `next.subtask_signals`), lerobot's convention. Beside the (possibly
noisy) observations it records what generation and replay need, exactly: the true TCP and object
poses (`datagen.eef_pose`, `datagen.object_poses`, pos + quat w x y z) and the MuJoCo state
(`sim.state` = qpos ‖ qvel) of the state the observation shows, for robomimic's `states`.

The subtask signals are those of the state *after* action t: an episode ends on success, so the
state where the last signal turns on (Lift's `lifted`) is never one a frame is observed in, and
stored before each action that signal was false in every frame. Datasets written before this
(issue 41) hold `subtask_signals`, of the state before action t; `signals_in_frames` reads either.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ...envs import TASKS, ManipulationEnv, make_task_env, resolve_task_name
from ...envs.experts import EXPERTS, ExpertConfig, make_expert
from ...envs.geometry import mat_to_pose7
from ...envs.observation import camera_feature, env_image_key, observation_features, vector_features
from ...envs.robots import DEFAULT_ROBOT, resolve_robot_name
from ..config_bounds import (
    EPISODES,
    SEED,
    Bounds,
    UnknownConfigName,
    check_bounds,
    check_cameras,
    check_image_size,
    check_name,
    check_profile,
    check_robot,
    ints,
)
from ..domain.wrapper import DomainRandomizationWrapper
from .dataset import Episode, video_feature
from .idle import idle_fraction
from .writer import DatasetWriter

ACTION_NAMES = ["dx", "dy", "dz", "drx", "dry", "drz", "gripper"]
Policy = Callable[[dict[str, np.ndarray]], np.ndarray]


def _names(prefix: str, n: int) -> list[str]:
    suffix = {3: "xyz", 4: "wxyz"}.get(n)
    return [f"{prefix}.{c}" for c in suffix] if suffix else [f"{prefix}.{i}" for i in range(n)]


def features_for(env: ManipulationEnv, cameras: tuple[str, ...] = (), image_size: tuple[int, int] = (84, 84)) -> dict:
    """The dataset features an env's episodes are stored with (lerobot naming)."""
    objects = env.task.objects
    signals = list(env.task.signals())
    feats: dict[str, dict[str, Any]] = {
        f.key: {"dtype": "float32", "shape": [f.size(objects)], "names": f.names(objects)}
        for f in vector_features(env.robot)
    }
    feats |= {
        "action": {"dtype": "float32", "shape": [7], "names": ACTION_NAMES},
        "next.reward": {"dtype": "float32", "shape": [1], "names": None},
        "next.done": {"dtype": "bool", "shape": [1], "names": None},
        "next.success": {"dtype": "bool", "shape": [1], "names": None},
        "next.subtask_signals": {"dtype": "bool", "shape": [len(signals)], "names": signals},
        "datagen.eef_pose": {"dtype": "float32", "shape": [7], "names": _names("eef.pos", 3) + _names("eef.quat", 4)},
        "datagen.object_poses": {
            "dtype": "float32",
            "shape": [7 * len(objects)],
            "names": [n for o in objects for n in _names(f"{o}.pos", 3) + _names(f"{o}.quat", 4)],
        },
        "sim.state": {"dtype": "float64", "shape": [env.model.nq + env.model.nv], "names": None},
    }
    for cam in cameras:
        feats[camera_feature(cam).key] = video_feature(*image_size, fps=int(env.config.control_hz))
    return feats


SIGNALS_BEFORE, SIGNALS_AFTER = "subtask_signals", "next.subtask_signals"  # old and current layout


def signals_in_frames(data: dict[str, np.ndarray]) -> np.ndarray | None:
    """(T, n_signals) subtask signals of the state each frame shows (before its action), from
    either layout; None if the episode has none. From `next.subtask_signals` they are moved one
    frame later, and frame 0 — the reset state, which that layout does not hold — reads all
    false (no task's signal is on at reset; segmentation never reads frame 0's)."""
    if SIGNALS_BEFORE in data:
        return np.asarray(data[SIGNALS_BEFORE], bool)
    after = data.get(SIGNALS_AFTER)
    if after is None:
        return None
    after = np.asarray(after, bool)
    return np.concatenate([np.zeros_like(after[:1]), after[:-1]])


def signal_names(features: dict) -> list[str]:
    """The stored subtask signals' names, in column order, from either layout."""
    feature = features.get(SIGNALS_BEFORE) or features.get(SIGNALS_AFTER) or {}
    return list(feature.get("names") or [])


def reached(x: np.ndarray) -> np.ndarray:
    """x[t + 1] at every frame t — where action t led — for per-frame values recorded before each
    action (`datagen.*`, `sim.state`); the last frame, which has no successor, is kept."""
    return np.concatenate([x[1:], x[-1:]]) if len(x) else x


class EpisodeRecorder:
    """Accumulates one episode's frames; `finish()` returns it as an `Episode`. Each frame is
    recorded in two calls around `env.step`: `observe` before it (the observation and the true
    state it shows, which action t is taken in) and `act` after it (action t and what followed)."""

    def __init__(self, env: ManipulationEnv, cameras: tuple[str, ...]):
        self.env, self.cameras = env, cameras
        self._tcp_home = np.array(env.robot.arm.tcp_home_quat)  # the sign observed TCP quaternions take
        self.signal_names = list(env.task.signals())  # the names only: their order is the stored order
        self.rows: dict[str, list] = {}
        self.frames: dict[str, list] = {camera_feature(c).key: [] for c in cameras}
        self._observed: dict[str, Any] | None = None

    def observe(self, obs) -> None:
        """Frame t's observation and ground truth: call it before stepping action t."""
        env = self.env
        self._observed = {
            **observation_features(obs),
            "datagen.eef_pose": mat_to_pose7(env.eef_pose(), near=self._tcp_home),  # the observed sign
            "datagen.object_poses": np.concatenate([mat_to_pose7(p) for p in env.object_poses().values()]),
            "sim.state": env.sim_state(),
            **{camera_feature(c).key: obs[env_image_key(c)] for c in self.cameras},
        }

    def act(self, action, reward: float, done: bool, success: bool, signals: dict[str, bool]) -> None:
        """Completes frame t with action t and what followed it (`signals`: step info's `subtasks`)."""
        if self._observed is None:
            raise RuntimeError("EpisodeRecorder.act without observe: call observe(obs) before each step")
        values, self._observed = self._observed, None
        values.update(
            {
                "action": np.asarray(action, np.float32),
                "next.reward": np.float32(reward),
                "next.done": done,
                "next.success": success,
                SIGNALS_AFTER: np.array([signals[s] for s in self.signal_names], bool),
            }
        )
        for k, v in values.items():
            (self.frames if k in self.frames else self.rows).setdefault(k, []).append(v)

    def finish(self, task: str, meta: dict[str, Any]) -> Episode:
        data = {k: np.stack(v) if np.ndim(v[0]) else np.array(v) for k, v in self.rows.items()}
        videos = {k: np.stack(v) for k, v in self.frames.items()}
        meta = {
            **meta,
            "idle_fraction": round(idle_fraction(reached(data["datagen.eef_pose"][:, :3]), data["action"][:, -1]), 4),
        }
        return Episode(task=task, data=data, videos=videos, meta=meta)


def rollout(
    env: DomainRandomizationWrapper,
    act: Callable[[dict[str, np.ndarray]], np.ndarray],
    seed: int,
    cameras: tuple[str, ...] = (),
    on_reset: Callable[[], None] | None = None,
) -> tuple[Episode, bool]:
    """Run one episode of `act(obs) -> action` from `env.reset(seed=seed)` and record it."""
    base: ManipulationEnv = env.unwrapped
    obs, info = env.reset(seed=seed)
    if on_reset:
        on_reset()
    recorder = EpisodeRecorder(base, cameras)
    success = False
    for _ in range(base.task.max_episode_steps):
        recorder.observe(obs)
        action = act(obs)
        obs, reward, terminated, truncated, step_info = env.step(action)
        success = bool(step_info["is_success"])
        recorder.act(action, reward, terminated or truncated, success, step_info["subtasks"])
        if terminated or truncated:
            break
    meta = {
        "task": base.task.name,
        "seed": seed,
        "profile": env.profile.name,
        "domain": info["domain"],
        "success": success,
    }
    return recorder.finish(base.task.description, meta), success


def task_description(task: str) -> str:
    """The language instruction of the task named `task`: its Task class's `description`."""
    return TASKS[resolve_task_name(task)].task.description


@dataclass(frozen=True)
class CollectConfig:
    """Each field's `help` is its documentation and the `demoforge collect` flag's help text."""

    task: str = field(default="Lift", metadata={"help": "task to record"})
    episodes: int = field(default=10, metadata={"help": "successful demos to keep"})
    profile: str = field(default="target", metadata={"help": "domain profile (target: the 'real' domain; or a .toml)"})
    human_like: bool = field(
        default=True, metadata={"help": "teleoperator-style imperfection (the built-in 'real' demos)"}
    )
    cameras: tuple[str, ...] = field(default=(), metadata={"help": "cameras recorded as video (front side wrist)"})
    image_size: tuple[int, int] = field(default=(84, 84), metadata={"help": "camera image size in px (even)"})
    seed: int = field(default=0, metadata={"help": "episode k tries seeds seed, seed+1, ... until it succeeds"})
    max_attempts_factor: int = field(default=5, metadata={"help": "give up after episodes × this many attempts"})
    robot: str = field(default=DEFAULT_ROBOT, metadata={"help": "robot: a registered name or a robot .toml file"})

    # The numeric fields' ranges, checked on construction and read by the `demoforge collect` flags.
    BOUNDS: ClassVar[dict[str, Bounds]] = {"episodes": EPISODES, "seed": SEED, "max_attempts_factor": ints(1, 1000)}

    def __post_init__(self) -> None:
        check_name("CollectConfig.task", self.task, resolve_task_name)
        task = resolve_task_name(self.task)
        TASKS[task]  # loads a plugin task: a broken one is its own one-line error, said before a missing expert
        if task not in EXPERTS:  # e.g. a task file's: said before a run writes anything, not at its first episode
            raise UnknownConfigName(
                f"CollectConfig.task={self.task!r}: no scripted expert for task {task!r} to record demos with; "
                f"experts: {EXPERTS.known()}"
            )
        check_bounds(self)
        check_profile("CollectConfig.profile", self.profile)
        check_cameras("CollectConfig.cameras", self.cameras)
        check_image_size(self.image_size, "CollectConfig.image_size")
        check_robot("CollectConfig.robot", self.robot)

    def identity(self) -> dict:
        """The fields that decide the output's bytes (a resumed collection must match them)."""
        identity = {
            "task": self.task,
            "profile": str(self.profile),
            "human_like": self.human_like,
            "cameras": list(self.cameras),
            "image_size": list(self.image_size),
            "seed": self.seed,
        }
        # Named only when not the default, so the default robot's sidecar (and dataset) bytes stay
        # those of datasets made before robots could be chosen, and those still resume.
        robot = resolve_robot_name(self.robot)
        return identity if robot == DEFAULT_ROBOT else {**identity, "robot": robot}


SIDECAR = "meta/collect.json"


def resume_point(out: Path, config, sidecar: str = SIDECAR, verb: str = "demoforge collect") -> tuple[int, int] | None:
    """(episodes kept, next seed) of an interrupted collection at `out`, or None for a new one.
    `config.identity()` must match the one `verb` stored in `sidecar` (teleop records with its own)."""
    import json

    from ...envs import ConfigError
    from .dataset import Dataset, DatasetError

    if not (out / "meta" / "info.json").is_file():
        return None
    path = out / sidecar
    if not path.is_file():
        raise DatasetError(f"dataset {out}: already exists and was not written by `{verb}` ({sidecar} missing)")
    try:
        before = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise DatasetError(f"dataset {out}: {sidecar} is not valid JSON ({exc})") from None
    identity = config.identity()
    for key in sorted(set(before) | set(identity)):
        if before.get(key) != identity.get(key):
            raise ConfigError(
                f"{out} was collected with {key}={before.get(key)!r}, this run asks {key}={identity.get(key)!r}; "
                "use another --out or the same settings to continue it"
            )
    ds = Dataset(out)
    return len(ds), (int(ds.meta(len(ds) - 1)["seed"]) + 1 if len(ds) else config.seed)


def collect(config: CollectConfig, out: str | Path, progress: Callable[[int, int], None] | None = None) -> dict:
    """Record `config.episodes` successful scripted-expert demos into a new dataset at `out`.
    Failed attempts are not stored; returns counts and timing. Rerun with the same config after a
    kill, it continues the collection (same bytes as an uninterrupted run); other settings, or a
    folder it did not write, are refused."""
    from .lock import exclusive

    out = Path(out)
    with exclusive(out, "demoforge collect", {SIDECAR}):
        return _collect(config, out, progress)


def _collect(config: CollectConfig, out: Path, progress: Callable[[int, int], None] | None) -> dict:
    from ...envs import EnvConfig

    resume = resume_point(out, config)
    robot = resolve_robot_name(config.robot)
    env_cfg = EnvConfig(cameras=config.cameras, image_size=config.image_size, robot=robot)
    env = DomainRandomizationWrapper(make_task_env(config.task, config=env_cfg), config.profile)
    base: ManipulationEnv = env.unwrapped
    expert = make_expert(base, ExpertConfig(human_like=config.human_like))
    feats = features_for(base, config.cameras, config.image_size)
    attempts, kept, start = 0, 0, time.perf_counter()
    if resume is None:
        writer = DatasetWriter.create(
            out,
            feats,
            fps=int(base.config.control_hz),
            robot_type=base.robot.name,
            sidecars={SIDECAR: config.identity()},
            robot=base.robot.layout(),
        )
        seed = config.seed
    else:
        writer = DatasetWriter.append(out)
        kept, seed = resume
        attempts = seed - config.seed
    with writer:
        while kept < config.episodes:
            if attempts >= config.episodes * config.max_attempts_factor:
                raise RuntimeError(f"collect: only {kept}/{config.episodes} successes in {attempts} attempts")
            episode, ok = rollout(
                env,
                lambda _obs: expert.act(base),
                seed,
                config.cameras,
                on_reset=lambda s=seed: expert.reset(np.random.default_rng(s)),
            )
            attempts += 1
            seed += 1
            if ok:
                episode.meta.update(
                    source="real" if config.profile == "target" else "scripted", human_like=config.human_like
                )
                writer.add_episode(episode)
                kept += 1
                if progress:
                    progress(kept, attempts)
    return {"episodes": kept, "attempts": attempts, "seconds": time.perf_counter() - start}
