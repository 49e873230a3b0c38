"""`demoforge eval` of a LeRobot checkpoint: the `pretrained_model` folder `lerobot-train` writes
(config.json naming the policy `type`, model.safetensors, and the pre/post-processor pipelines that
hold its normalization stats).

The policy is loaded with lerobot's own factory and rolled out as `lerobot-eval` does it (its
`preprocess_observation`, the task string, the saved preprocessor, `select_action`, the saved
postprocessor) in `make_vec_env` envs of the requested profile. Episode k starts from
`reset(seed=seed + k)`, as in `evaluate`, so the number compares with our own policies' on the
same scenes and drawn domains, and it is reported the same way (`summarize`, `write_eval`).

lerobot is an optional extra, imported only here and only when such a folder is evaluated.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..augment.data.dataset import Dataset
from ..augment.data.record import task_description
from ..augment.data.safety import read_json
from ..augment.io.lerobot_env import make_vec_env, policy_input_shapes
from ..envs import TASKS, ConfigError, DemoforgeError, resolve_task_name
from ..envs.observation import IMAGE_PREFIX, is_image_key
from ..envs.robots import DEFAULT_ROBOT, resolve_robot_name
from .evaluate import EpisodeOutcome, EvalConfig, EvalResult, summarize, write_eval

INSTALL = "pip install 'demoforge[lerobot]'"


def is_lerobot_checkpoint(path: str | Path) -> bool:
    """A folder as `lerobot-train` saves a policy: config.json beside model.safetensors."""
    path = Path(path)
    return (path / "config.json").is_file() and (path / "model.safetensors").is_file()


@dataclass(frozen=True)
class LeRobotCheckpoint:
    path: Path
    policy_type: str
    inputs: dict[str, tuple[int, ...]]  # input_features: key → shape (images channel first)
    cameras: tuple[str, ...]
    image_size: tuple[int, int]  # (height, width)


def read_checkpoint(path: Path) -> LeRobotCheckpoint:
    """What the checkpoint's config.json says the policy takes; one-line errors naming the field."""
    file = path / "config.json"
    config = read_json(file, "LeRobot policy config")
    policy_type = config.get("type")
    if not isinstance(policy_type, str):
        raise ConfigError(
            f"{file}: field 'type' missing or not a string (expected a lerobot policy type, e.g. \"act\")"
        )
    features = config.get("input_features")
    if not isinstance(features, dict) or not features:
        raise ConfigError(f"{file}: field 'input_features' missing or empty")
    inputs = {}
    for key, feature in features.items():
        shape = feature.get("shape") if isinstance(feature, dict) else None
        if not isinstance(shape, list) or not all(isinstance(n, int) and n > 0 for n in shape):
            raise ConfigError(f"{file}: input_features.{key}.shape={shape!r}: expected a list of positive integers")
        inputs[key] = tuple(shape)
    cameras = tuple(k.removeprefix(IMAGE_PREFIX) for k in inputs if is_image_key(k))
    sizes = {inputs[IMAGE_PREFIX + c][1:] for c in cameras}
    if len(sizes) > 1 or any(len(inputs[IMAGE_PREFIX + c]) != 3 for c in cameras):
        raise ConfigError(f"{file}: input_features: cameras must all be [3, H, W] of one size, got {sorted(sizes)}")
    image_size = next(iter(sizes)) if sizes else (84, 84)
    return LeRobotCheckpoint(path, policy_type, inputs, cameras, image_size)


def infer_task(path: Path) -> str:
    """The demoforge task a LeRobot run trained on: its train_config.json's `dataset.root`, whose
    task string is one of our tasks' descriptions."""
    file = path / "train_config.json"
    root = None
    if file.is_file():
        dataset = read_json(file, "LeRobot train config").get("dataset")
        root = dataset.get("root") if isinstance(dataset, dict) else None
    if isinstance(root, str):
        try:
            strings = set(Dataset(root).tasks.values())
        except DemoforgeError:
            strings = set()
        for name in TASKS:
            if task_description(name) in strings:
                return name
    raise ConfigError(
        f"{path}: cannot tell which task the policy was trained on (train_config.json names no local "
        f"demoforge dataset); pass --task ({', '.join(TASKS)})"
    )


def check_inputs(checkpoint: LeRobotCheckpoint, task: str) -> None:
    """Every input the policy was built for is one the task's envs give, in the same shape."""
    given = policy_input_shapes(task, checkpoint.cameras, checkpoint.image_size)
    for key, shape in checkpoint.inputs.items():
        if key not in given:
            raise ConfigError(
                f"{checkpoint.path / 'config.json'}: input_features.{key}: {task} envs give no such "
                f"observation (they give {', '.join(given)})"
            )
        if given[key] != shape:
            raise ConfigError(
                f"{checkpoint.path / 'config.json'}: input_features.{key} has shape {list(shape)}, "
                f"{task} gives {list(given[key])} (trained on another task's data?)"
            )


def _import_lerobot(path: Path) -> dict[str, Any]:
    try:
        from lerobot.envs.utils import preprocess_observation
        from lerobot.policies.factory import get_policy_class, make_pre_post_processors
    except ImportError as exc:
        raise ConfigError(f"{path} is a LeRobot checkpoint; evaluating it needs lerobot ({exc}): {INSTALL}") from None
    return {
        "preprocess_observation": preprocess_observation,
        "get_policy_class": get_policy_class,
        "make_pre_post_processors": make_pre_post_processors,
    }


def evaluate_lerobot(
    path: str | Path,
    config: EvalConfig | None = None,
    task: str | None = None,
    out: str | Path | None = None,
    use_async_envs: bool | None = None,
) -> EvalResult:
    """Roll out the LeRobot policy saved at `path` for `config.episodes` episodes in
    `config.profile`, `config.workers` envs at a time (0: one per core; in spawned processes when
    more than one, unless `use_async_envs` says otherwise). Writes eval.json and GIFs under `out`
    (default: <path>/../eval_<profile>). Nothing is written before every check has passed."""
    config = config or EvalConfig()
    path = Path(path)
    if config.robot is not None and resolve_robot_name(config.robot) != DEFAULT_ROBOT:
        # LeRobot's vector envs (make_vec_env) build the default robot's env; said before anything loads
        raise ConfigError(
            f"EvalConfig.robot={config.robot!r}: a LeRobot checkpoint is evaluated on the default robot "
            f"{DEFAULT_ROBOT!r} only"
        )
    lerobot = _import_lerobot(path)
    checkpoint = read_checkpoint(path)
    task = resolve_task_name(task) if task else infer_task(path)
    check_inputs(checkpoint, task)

    policy = lerobot["get_policy_class"](checkpoint.policy_type).from_pretrained(str(path))
    policy.eval()
    preprocessor, postprocessor = lerobot["make_pre_post_processors"](
        policy.config,
        pretrained_path=str(path),
        preprocessor_overrides={"device_processor": {"device": str(policy.config.device)}},
    )
    torch.manual_seed(config.seed)  # stochastic policies (diffusion) sample the same noise each run

    n_envs = min(config.workers or os.cpu_count() or 1, config.episodes)
    use_async = n_envs > 1 if use_async_envs is None else use_async_envs
    outcomes: list[EpisodeOutcome] = []
    vec = None
    for start in range(0, config.episodes, n_envs):
        seeds = [config.seed + k for k in range(start, min(start + n_envs, config.episodes))]
        if vec is None or vec.num_envs != len(seeds):  # the last batch may be smaller
            if vec is not None:
                vec.close()
            vec = make_vec_env(
                task, len(seeds), config.profile, checkpoint.cameras, checkpoint.image_size, use_async_envs=use_async
            )
        record = [k < config.videos for k in range(start, start + len(seeds))]
        outcomes += _rollout(vec, seeds, record, config.video_size, policy, preprocessor, postprocessor, lerobot)
    vec.close()

    result = summarize(task, config.profile, outcomes)
    write_eval(Path(out) if out else path.parent / f"eval_{Path(config.profile).stem}", result, outcomes)
    return result


def _rollout(vec, seeds, record, size, policy, preprocessor, postprocessor, lerobot) -> list[EpisodeOutcome]:
    """One batch of episodes, stepped as lerobot-eval steps them: until every env has ended (an
    ended env is auto-reset by the vector env and ignored from then on)."""
    n = len(seeds)
    policy.reset()
    obs, info = vec.reset(seed=seeds)
    tasks = list(vec.call("task_description"))
    reached = {k: np.asarray(v, bool).copy() for k, v in info["subtasks"].items() if not k.startswith("_")}
    done, success, length = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, int)
    frames: list[list[np.ndarray]] = [[] for _ in range(n)]
    for _ in range(vec.call("_max_episode_steps")[0]):
        batch = lerobot["preprocess_observation"](obs)
        batch["task"] = tasks
        with torch.inference_mode():
            action = postprocessor(policy.select_action(preprocessor(batch)))
        obs, _, terminated, truncated, info = vec.step(action.to("cpu").numpy().astype(np.float32))
        live = ~done
        length += live
        for k in reached:
            reached[k] |= live & np.asarray(info["subtasks"][k], bool)
        ended = live & (terminated | truncated)
        success |= ended & np.asarray(info.get("final_info", {}).get("is_success", np.zeros(n, bool)), bool)
        if any(record):
            shots = vec.call("render_camera", "front", size, size)
            for i in np.flatnonzero(live & np.array(record)):
                frames[i].append(shots[i])
        done |= terminated | truncated
        if done.all():
            break
    return [
        EpisodeOutcome(seed, bool(success[i]), int(length[i]), {k: bool(v[i]) for k, v in reached.items()}, frames[i])
        for i, seed in enumerate(seeds)
    ]
