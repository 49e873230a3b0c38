"""`RunConfig`: everything `demoforge run` does, with its defaults per observation mode, read from
and written to `run_config.yaml` / `report/config.yaml`, and the training settings it gives each arm."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..augment.config_bounds import (
    EPISODES,
    MAX_BATCH,
    MAX_STEPS,
    SEED,
    SHARE,
    WORKERS,
    Bounds,
    check_bounds,
    check_choice,
    check_name,
    check_profile,
    check_robot,
    ints,
)
from ..augment.data.record import CollectConfig
from ..augment.domain.calibrate import CALIBRATED_MODES
from ..augment.domain.profiles import MAX_RESET_WIDEN
from ..augment.generate.config import GenerateConfig
from ..envs import ConfigError, DemoforgeError, resolve_task_name
from ..envs.observation import DEFAULT_OBS_MODE, OBS_MODES
from ..envs.robots import DEFAULT_ROBOT, resolve_robot_name
from .evaluate import EvalConfig
from .policies import policy_classes
from .trainer import MODE_TRAIN_DEFAULTS, TrainConfig

# Defaults that depend on the observation mode.
# state, synthetic_demos 2000: measured on Stack (BC, 2000 steps, 40 episodes) synthetic-only success
# 31/40 with 300 → 36/40 with 1000 in target; PegInsert (BC, 6000 steps, cosine, newest-leaning
# ensembling) 80/100 with 1000 → 170/200 with 2000 in `randomized`. Generation is the cheap stage
# (PegInsert ~2 min per 1000 on 2 cores); training time does not grow with it.
# vision, 1000 demos: a vision run holds every camera frame in memory (two 84 px cameras, 42 kB a
# frame: 1000 Lift demos ~4 GB, 2000 Stack demos ~13 GB). Batch size, steps and the co-training
# ratio are the trainer's (MODE_TRAIN_DEFAULTS), so `demoforge train --obs vision`
# and `demoforge run --obs vision` agree.
MODE_DEFAULTS = {
    mode: {
        "synthetic_demos": demos,
        "batch_size": MODE_TRAIN_DEFAULTS[mode]["batch_size"],
        "train_steps": MODE_TRAIN_DEFAULTS[mode]["steps"],
        "ratio": MODE_TRAIN_DEFAULTS[mode]["ratio"],
    }
    for mode, demos in (("state", 2000), ("vision", 1000))
}

# Defaults of one task in one mode, over the mode's. Lift, state: 1000 synthetic demos and 2000 BC
# steps, so that `demoforge run` on its defaults, calibration on, fits in 5 minutes on 2 cores.
# Chosen in the development shift soft_arm (benchmarks/shifts/, never `target`), 10 human-like demos,
# 50 episodes per arm (real only / synthetic only / real + synthetic), 2026-12-07:
#   2000 demos, 6000 steps (the state defaults): 33/50, 50/50, 50/50;
#   2000 demos, 2000 steps: 36/50, 50/50, 50/50;   2000 demos, 6000 steps of a 256×3 MLP: 40/50, 50/50, 50/50;
#   1000 demos, 2000 steps: 36/50, 50/50, 50/50, the whole run 256 s wall (docs/calibration.md).
# Keyed by (mode, task, policy or None for any policy): the steps are BC's (diffusion was not measured).
TASK_DEFAULTS = {("state", "Lift", None): {"synthetic_demos": 1000}, ("state", "Lift", "bc"): {"train_steps": 2000}}


CALIBRATION_CHOICES = ("off", *CALIBRATED_MODES)


class RunConfig(BaseModel):
    """Everything `demoforge run` does; written to report/config.yaml, read back by --config."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    task: str = Field("Lift", description="task of the whole run")
    real_demos: int = Field(10, description="human-like scripted demos recorded in the target profile")
    # None: the observation mode's default (MODE_DEFAULTS), filled in when the config is made, so the
    # config written beside the report names the number used.
    synthetic_demos: int | None = Field(None, description="demos generated from them in the generation profile")
    profile_target: str = Field(
        "target", description="the stand-in for the real world: real demos and evaluation run in it"
    )
    profile_generate: str = Field("randomized", description="the profile synthetic demos are generated in")
    calibration: str = Field(
        "cover",
        description="measure the real domain from the real demos and generate in a profile that covers it (cover: "
        "the generation profile stretched to hold it; centre: centred on it; off). Needs ≥ 5 real demos, else skipped",
    )
    policy: str = Field("bc", description="policy of all three arms")
    obs: str = Field(
        DEFAULT_OBS_MODE,
        description="observation mode of all three arms: state, or vision (front + wrist cameras recorded at 84 px)",
    )
    train_steps: int | None = Field(
        None, description="training steps of each arm (None: the mode's default, else the policy's)"
    )
    batch_size: int | None = Field(None, description="samples per training step of each arm")
    ratio: float | None = Field(None, description="real share of each co-training batch (None: the mode's default)")
    reset_widen: float = Field(
        1.0,
        description="MimicGen's D1: generation and evaluation place objects from reset ranges this many times as "
        "wide about their centres as the real demos' (1: the same ranges)",
    )
    eval_episodes: int = Field(50, description="evaluation episodes per arm")
    workers: int = Field(0, description="worker processes (0: one per core)")
    seed: int = Field(0, description="seed of collection, generation and training")
    robot: str = Field(DEFAULT_ROBOT, description="robot of the whole run: a registered name or a robot .toml file")

    # The numeric fields' ranges, checked on construction and read by the `demoforge run` flags.
    BOUNDS: ClassVar[dict[str, Bounds]] = {
        "real_demos": EPISODES,
        "synthetic_demos": EPISODES,
        "train_steps": ints(1, MAX_STEPS),
        "batch_size": ints(1, MAX_BATCH),
        "ratio": SHARE,
        "reset_widen": Bounds(1.0, MAX_RESET_WIDEN, integer=False),
        "eval_episodes": EPISODES,
        "workers": WORKERS,
        "seed": SEED,
    }

    def __init__(self, **data: Any) -> None:
        """As pydantic's, but a bad field is one ConfigError line naming it (`RunConfig.seed=-1: ...`)."""
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _config_error(exc) from None

    @model_validator(mode="before")
    @classmethod
    def _mode_defaults(cls, data):
        """Fill the fields left unset (or None) with the defaults of the run's observation mode,
        and over them its task's in that mode (TASK_DEFAULTS)."""
        if not isinstance(data, dict):
            return data
        obs = data.get("obs", DEFAULT_OBS_MODE)
        obs = obs if isinstance(obs, str) and obs in MODE_DEFAULTS else DEFAULT_OBS_MODE
        task, policy = _task_name(data), data.get("policy", cls.model_fields["policy"].default)
        defaults = {
            **MODE_DEFAULTS[obs],
            **TASK_DEFAULTS.get((obs, task, None), {}),
            **(TASK_DEFAULTS.get((obs, task, policy), {}) if isinstance(policy, str) else {}),
        }
        return {**defaults, **{k: v for k, v in data.items() if v is not None or k not in defaults}}

    @model_validator(mode="after")
    def _checked(self) -> RunConfig:
        self.check()
        return self

    def check(self) -> None:
        """Every name and number of the run, and the configs of its stages: checked when the config
        is made (and again by the pipeline before any stage), so a run never stops half-way on a
        setting. Raises ConfigError (UnknownNameError for a name), one line naming the field."""
        check_name("RunConfig.task", self.task, resolve_task_name)
        check_choice("RunConfig.obs", self.obs, OBS_MODES)
        check_choice("RunConfig.calibration", self.calibration, CALIBRATION_CHOICES)
        check_name("RunConfig.policy", self.policy, policy_classes)
        check_profile("RunConfig.profile_target", self.profile_target)
        check_profile("RunConfig.profile_generate", self.profile_generate)
        check_bounds(self)
        check_robot("RunConfig.robot", self.robot)
        if self.calibration != "off" and resolve_robot_name(self.robot) != DEFAULT_ROBOT:
            raise ConfigError(
                f"RunConfig.calibration={self.calibration!r}: calibration replays the demos on the default robot "
                f"{DEFAULT_ROBOT!r} only; with robot={self.robot!r} pass calibration='off' (--calibration off)"
            )
        task, cameras = resolve_task_name(self.task), run_cameras(self)
        CollectConfig(
            task=task,
            episodes=self.real_demos,
            profile=self.profile_target,
            seed=self.seed,
            cameras=cameras,
            robot=self.robot,
        )
        GenerateConfig(
            num=self.synthetic_demos, profile=self.profile_generate, seed=self.seed, cameras=cameras, robot=self.robot
        )
        run_train_config(self)
        EvalConfig(profile=self.profile_target, episodes=self.eval_episodes, workers=self.workers)

    @classmethod
    def quick(cls, **overrides) -> RunConfig:
        """A CI-sized smoke run: a few demos, a short training, a few evaluation episodes."""
        return cls(**{"real_demos": 4, "synthetic_demos": 30, "train_steps": 300, "eval_episodes": 6, **overrides})


def _task_name(data: dict) -> str:
    """The registered name of the task `data` names ("" for a name the checks will refuse)."""
    try:
        return resolve_task_name(data.get("task", RunConfig.model_fields["task"].default))
    except Exception:  # noqa: BLE001 - RunConfig.check says what is wrong with it, in one line
        return ""


def load_run_config(path: str | Path) -> RunConfig:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"run config {path} not found")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"run config {path}: not valid YAML ({exc})") from None
    if isinstance(data, dict) and (unknown := [k for k in data if k not in RunConfig.model_fields]):
        raise ConfigError(f"run config {path}: " + "; ".join(f"{k}: unknown key" for k in unknown))
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:  # RunConfig's own one-line error, as RunConfig(...) raises it
        raise ConfigError(f"run config {path}: {_error_text(exc)}") from None
    except DemoforgeError as exc:
        raise ConfigError(f"run config {path}: {exc}") from None


def _error_text(exc: ValidationError) -> str:
    """A RunConfig's ValidationError on one line: demoforge's own check as it said it, pydantic's
    as `RunConfig.field=value: message`, an unknown key said so."""
    parts = []
    for e in exc.errors():
        error = (e.get("ctx") or {}).get("error")
        loc = ".".join(map(str, e["loc"]))
        if isinstance(error, DemoforgeError):
            parts.append(str(error))
        elif e["type"] == "extra_forbidden":
            parts.append(f"RunConfig.{loc}: unknown key")
        else:
            parts.append(f"RunConfig.{loc}={e['input']!r}: {e['msg']}" if loc else f"RunConfig: {e['msg']}")
    return "; ".join(parts)


def _config_error(exc: ValidationError) -> Exception:
    """The exception a RunConfig's ValidationError stands for: the check's own, when one raised it."""
    errors = exc.errors()
    error = (errors[0].get("ctx") or {}).get("error") if len(errors) == 1 else None
    return error if isinstance(error, DemoforgeError) else ConfigError(_error_text(exc))


def run_cameras(config: RunConfig) -> tuple[str, ...]:
    """The cameras collection and generation record: those the vision mode reads, at the
    recorders' default 84 × 84; none for a state run (its datasets stay as they were)."""
    return TrainConfig.cameras if config.obs == "vision" else ()


# Torch threads of each state arm's training. The arms train side by side (train/pipeline.py), and
# one thread each keeps a run's numbers the same whether its arms trained together or one by one,
# on any number of cores. Vision arms train one at a time with torch's default.
STATE_TRAIN_THREADS = 1


def run_train_config(config: RunConfig) -> TrainConfig:
    """Each arm's training settings (the arms differ only in their data)."""
    return TrainConfig(
        policy=config.policy,
        steps=config.train_steps,
        batch_size=config.batch_size,
        ratio=config.ratio,
        seed=config.seed,
        obs=config.obs,
        threads=STATE_TRAIN_THREADS if config.obs == "state" else 0,
    )
