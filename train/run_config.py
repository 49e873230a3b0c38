"""`RunConfig`: everything `demoforge run` does, with its defaults per observation mode, read from
and written to `run_config.yaml` / `report/config.yaml`, and the training settings it gives each arm."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..envs import ConfigError, validation_summary
from ..envs.observation import DEFAULT_OBS_MODE
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


class RunConfig(BaseModel):
    """Everything `demoforge run` does; written to report/config.yaml, read back by --config."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    task: str = Field("Lift", description="task of the whole run")
    real_demos: int = Field(10, ge=1, description="human-like scripted demos recorded in the target profile")
    # None: the observation mode's default (MODE_DEFAULTS), filled in when the config is made, so the
    # config written beside the report names the number used.
    synthetic_demos: int | None = Field(None, ge=1, description="demos generated from them in the generation profile")
    profile_target: str = Field(
        "target", description="the stand-in for the real world: real demos and evaluation run in it"
    )
    profile_generate: str = Field("randomized", description="the profile synthetic demos are generated in")
    policy: str = Field("bc", description="policy of all three arms")
    obs: str = Field(
        DEFAULT_OBS_MODE,
        description="observation mode of all three arms: state, or vision (front + wrist cameras recorded at 84 px)",
    )
    train_steps: int | None = Field(
        None, description="training steps of each arm (None: the mode's default, else the policy's)"
    )
    batch_size: int | None = Field(None, ge=1, description="samples per training step of each arm")
    ratio: float | None = Field(
        None, ge=0.0, le=1.0, description="real share of each co-training batch (None: the mode's default)"
    )
    eval_episodes: int = Field(50, ge=1, description="evaluation episodes per arm")
    workers: int = Field(0, ge=0, description="worker processes (0: one per core)")
    seed: int = Field(0, description="seed of collection, generation and training")

    @model_validator(mode="before")
    @classmethod
    def _mode_defaults(cls, data):
        """Fill the fields left unset (or None) with the defaults of the run's observation mode."""
        if not isinstance(data, dict):
            return data
        defaults = MODE_DEFAULTS.get(data.get("obs", DEFAULT_OBS_MODE), MODE_DEFAULTS[DEFAULT_OBS_MODE])
        return {**defaults, **{k: v for k, v in data.items() if v is not None or k not in defaults}}

    @classmethod
    def quick(cls, **overrides) -> RunConfig:
        """A CI-sized smoke run: a few demos, a short training, a few evaluation episodes."""
        return cls(**{"real_demos": 4, "synthetic_demos": 30, "train_steps": 300, "eval_episodes": 6, **overrides})


def load_run_config(path: str | Path) -> RunConfig:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"run config {path} not found")
    try:
        data = yaml.safe_load(path.read_text()) or {}
        return RunConfig.model_validate(data)
    except yaml.YAMLError as exc:
        raise ConfigError(f"run config {path}: not valid YAML ({exc})") from None
    except ValidationError as exc:
        raise ConfigError(f"run config {path}: {validation_summary(exc)}") from None


def run_train_config(config: RunConfig) -> TrainConfig:
    """Each arm's training settings (the arms differ only in their data)."""
    return TrainConfig(
        policy=config.policy,
        steps=config.train_steps,
        batch_size=config.batch_size,
        ratio=config.ratio,
        seed=config.seed,
        obs=config.obs,
    )
