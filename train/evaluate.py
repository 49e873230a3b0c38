"""Closed-loop evaluation of a trained policy in any domain profile.

Episode k starts from `reset(seed=seed + k)`, so every policy compared with the same settings
meets the same scenes and the same drawn domains. Episodes run in parallel worker processes and
come back in seed order; the result is deterministic.

The env renders exactly the cameras a checkpoint's policy reads, at the size it was trained on
(`image_shapes`), and the policy gets them beside its observation vector.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from ..augment.config_bounds import EPISODES, SEED, WORKERS, Bounds, check_bounds, check_profile, check_robot, ints
from ..augment.data.robot_layout import checkpoint_robot
from ..augment.domain.wrapper import DomainRandomizationWrapper
from ..envs import ConfigError, EnvConfig, make_task, make_task_env, spawned_pool
from ..envs.observation import IMAGE_PREFIX, env_image_key, is_image_key, observation_features, vector_features
from ..envs.robots import DEFAULT_ROBOT
from ..envs.scene import CAMERA_NAMES, camera_names
from .checkpoint import checkpoint_path, load_policy, read_meta, trained_image_shapes, trained_obs_keys
from .policies.base import VECTOR_KEY
from .stats import wilson_interval


@dataclass(frozen=True)
class EvalConfig:
    """Each field's `help` is its documentation and the `demoforge eval` flag's help text."""

    profile: str = field(default="target", metadata={"help": "domain profile evaluated in (name or .toml path)"})
    episodes: int = field(default=50, metadata={"help": "episodes run"})
    # Far from the seeds demos are recorded and generated with.
    seed: int = field(default=100_000, metadata={"help": "episode k starts from reset(seed=seed + k)"})
    workers: int = field(default=0, metadata={"help": "worker processes (0: one per CPU core)"})
    videos: int = field(default=2, metadata={"help": "episodes recorded as GIF (the first ones)"})
    video_size: int = field(default=128, metadata={"help": "GIF frame size in px"})
    robot: str | None = field(
        default=None,
        metadata={
            "help": "robot to evaluate on: a name or a robot .toml file (default: the one the checkpoint records)"
        },
    )

    # The numeric fields' ranges, checked on construction and read by the `demoforge eval` flags.
    BOUNDS: ClassVar[dict[str, Bounds]] = {
        "episodes": EPISODES,
        "seed": SEED,
        "workers": WORKERS,
        "videos": ints(0, 1000),
        "video_size": ints(16, 1024),
    }

    def __post_init__(self) -> None:
        check_bounds(self)
        check_profile("EvalConfig.profile", self.profile)
        check_robot("EvalConfig.robot", self.robot, optional=True)


@dataclass
class EpisodeOutcome:
    seed: int
    success: bool
    length: int
    subtasks: dict[str, bool]  # signal → reached at some step
    frames: list = field(default_factory=list, repr=False)


@dataclass
class EvalResult:
    task: str
    profile: str
    episodes: int
    successes: int
    success_rate: float
    ci95: tuple[float, float]
    mean_length: float
    subtask_rates: dict[str, float]

    def to_json(self) -> dict:
        return asdict(self)


_POLICY = None


def _init(checkpoint: str, threads: int) -> None:
    global _POLICY
    os.environ.setdefault("MUJOCO_GL", "egl")
    torch.set_num_threads(threads)
    _POLICY = load_policy(Path(checkpoint))


@dataclass(frozen=True)
class PolicyInputs:
    """What the env must give a checkpoint's policy: vectors by dataset key, in input order, and
    cameras rendered at `image_size` (H, W), by dataset key."""

    vector_keys: tuple[str, ...]
    image_keys: tuple[str, ...] = ()
    image_size: tuple[int, int] = EnvConfig.image_size
    robot: str = DEFAULT_ROBOT  # a registered robot's name

    @property
    def cameras(self) -> tuple[str, ...]:
        return tuple(k.removeprefix(IMAGE_PREFIX) for k in self.image_keys)

    def env_config(self) -> EnvConfig:
        if not self.image_keys:
            return EnvConfig(robot=self.robot)
        return EnvConfig(cameras=self.cameras, image_size=self.image_size, robot=self.robot)

    def observation(self, obs: dict[str, np.ndarray]) -> np.ndarray | dict[str, np.ndarray]:
        """The env's observation → the policy's: the vector, with the camera frames if it sees."""
        feats = observation_features(obs)
        vec = np.concatenate([feats[k] for k in self.vector_keys])
        if not self.image_keys:
            return vec
        return {VECTOR_KEY: vec, **{k: obs[env_image_key(c)] for k, c in zip(self.image_keys, self.cameras)}}


def _episode(args: tuple[str, str, int, bool, int, PolicyInputs]) -> EpisodeOutcome:
    task, profile, seed, video, size, inputs = args
    policy = _POLICY
    env = DomainRandomizationWrapper(make_task_env(task, config=inputs.env_config()), profile)
    base = env.unwrapped
    obs, info = env.reset(seed=seed)
    policy.reset(seed)
    reached = {k: bool(v) for k, v in info["subtasks"].items()}
    frames = []
    success, length = False, 0
    while length < base.task.max_episode_steps:
        length += 1
        obs, _, terminated, truncated, info = env.step(policy.select_action(inputs.observation(obs)))
        for k, v in info["subtasks"].items():
            reached[k] = reached[k] or bool(v)
        if video:
            frames.append(base.render_camera("front", size, size))
        if terminated or truncated:
            success = bool(info["is_success"])
            break
    env.close()
    return EpisodeOutcome(seed, success, length, reached, frames)


def evaluate(run: str | Path, config: EvalConfig | None = None, out: str | Path | None = None) -> EvalResult:
    """Roll out the policy of `run` (a training run folder or a checkpoint file) for
    `config.episodes` episodes in `config.profile`; writes eval JSON and GIFs under `out`
    (default: <run>/eval_<profile>)."""
    config = config or EvalConfig()
    run = Path(run)
    checkpoint = checkpoint_path(run)
    meta = read_meta(checkpoint)
    task = run_task(checkpoint, meta)
    robot = checkpoint_robot(meta.get("robot"), config.robot, f"checkpoint {checkpoint}")
    inputs = policy_inputs(checkpoint, meta, task, robot)
    jobs = [
        (task, config.profile, config.seed + k, k < config.videos, config.video_size, inputs)
        for k in range(config.episodes)
    ]
    workers = min(config.workers or os.cpu_count() or 1, config.episodes)
    if workers == 1:
        _init(str(checkpoint), 1)
        outcomes = [_episode(j) for j in jobs]
    else:
        with spawned_pool("evaluation", workers, _init, (str(checkpoint), 1)) as pool:
            outcomes = list(pool.map(_episode, jobs))
    result = summarize(task, config.profile, outcomes)
    out = (
        Path(out)
        if out
        else (checkpoint.parents[1] if run.is_dir() else run.parent) / f"eval_{Path(config.profile).stem}"
    )
    write_eval(out, result, outcomes)
    return result


def run_task(checkpoint: Path, meta: dict) -> str:
    """The task `checkpoint` was trained on: its metadata's, else its run's config.json's. A run
    that names none is a ConfigError (evaluating it in some default task would report a number
    for the wrong task)."""
    config = checkpoint.parents[1] / "config.json"
    task = meta.get("task") or (json.loads(config.read_text()).get("task") if config.is_file() else None)
    if not task:
        raise ConfigError(
            f"checkpoint {checkpoint}: names no task, and neither does {config}"
            f"{'' if config.is_file() else ' (missing)'}; cannot tell which task to evaluate it in"
        )
    return task


def policy_inputs(checkpoint: Path, meta: dict, task: str, robot: str = DEFAULT_ROBOT) -> PolicyInputs:
    """What the checkpoint's policy reads, checked against what `task`'s env gives: a ConfigError
    naming the first key it does not give (a vector it lacks, a camera it does not have, a camera
    stored without its image size), or the vectors whose widths do not add up to the policy's
    input width."""
    keys = trained_obs_keys(meta)
    image_keys = tuple(k for k in keys if is_image_key(k))
    image_size = _image_size(checkpoint, image_keys, trained_image_shapes(meta), camera_names(robot))
    keys = tuple(k for k in keys if k not in image_keys)
    given = {f.key: f for f in vector_features(robot)}
    for key in keys:
        if key not in given:
            raise ConfigError(
                f"checkpoint {checkpoint}: the policy was trained on observation key {key!r}, which "
                f"evaluation cannot feed (it gives {', '.join(given)})"
            )
    objects = make_task(task).objects
    widths = {k: given[k].size(objects) for k in keys}
    if "obs_dim" in meta and sum(widths.values()) != meta["obs_dim"]:
        parts = " + ".join(f"{k} ({n})" for k, n in widths.items())
        raise ConfigError(
            f"checkpoint {checkpoint}: obs_dim={meta['obs_dim']}, but {task}'s {parts} give {sum(widths.values())} "
            "(trained on another task's data?)"
        )
    return PolicyInputs(keys, image_keys, image_size, robot)


def _image_size(
    checkpoint: Path, image_keys: tuple[str, ...], shapes: dict, cameras: tuple[str, ...] = CAMERA_NAMES
) -> tuple[int, int]:
    """The one (H, W) the env (with `cameras`, its robot's) renders every camera of `image_keys` at."""
    for key in image_keys:
        camera = key.removeprefix(IMAGE_PREFIX)
        if camera not in cameras:
            raise ConfigError(
                f"checkpoint {checkpoint}: the policy reads camera {camera!r} ({key!r}), which the env does not "
                f"have (cameras: {', '.join(cameras)})"
            )
        if key not in shapes:
            raise ConfigError(
                f"checkpoint {checkpoint}: the policy was trained on observation key {key!r}, but the checkpoint "
                "stores no image size for it, so evaluation cannot render that camera (not a vision checkpoint?)"
            )
    sizes = {tuple(shapes[k][1:]) for k in image_keys}
    if len(sizes) > 1:
        raise ConfigError(f"checkpoint {checkpoint}: cameras of different sizes {sorted(sizes)}; the env renders one")
    return sizes.pop() if sizes else EnvConfig.image_size


def summarize(task: str, profile: str, outcomes: list[EpisodeOutcome]) -> EvalResult:
    """The numbers every evaluation reports (ours and a LeRobot checkpoint's alike)."""
    wins = sum(o.success for o in outcomes)
    signals = list(outcomes[0].subtasks)
    return EvalResult(
        task=task,
        profile=profile,
        episodes=len(outcomes),
        successes=wins,
        success_rate=wins / len(outcomes),
        ci95=wilson_interval(wins, len(outcomes)),
        mean_length=float(np.mean([o.length for o in outcomes])),
        subtask_rates={s: float(np.mean([o.subtasks[s] for o in outcomes])) for s in signals},
    )


def write_eval(out: Path, result: EvalResult, outcomes: list[EpisodeOutcome]) -> None:
    """eval.json (the result and every episode) and the GIFs of the episodes that recorded frames."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "eval.json").write_text(
        json.dumps(
            {
                **result.to_json(),
                "episodes_detail": [
                    {"seed": o.seed, "success": o.success, "length": o.length, "subtasks": o.subtasks} for o in outcomes
                ],
            },
            indent=2,
        )
    )
    for o in outcomes:
        if o.frames:
            save_gif(out / f"rollout_seed{o.seed}_{'success' if o.success else 'failure'}.gif", o.frames)


def save_gif(path: Path, frames: list[np.ndarray], fps: int = 20) -> Path:
    from PIL import Image

    images = [Image.fromarray(f) for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
    return path
