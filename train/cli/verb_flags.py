"""The config-backed flags of `demoforge collect/generate/train/eval/run`: one `ConfigFlags` per verb,
with the ranges and names the config classes do not state. Defaults and help come from the classes."""

from __future__ import annotations

import argparse
import os

from ...augment.data.record import CollectConfig
from ...augment.generate import GenerateConfig
from ...augment.generate.select import STRATEGIES
from ...envs import resolve_task_name
from ...envs.observation import OBS_MODES
from ..evaluate import EvalConfig
from ..policies import POLICIES
from ..run_config import MODE_DEFAULTS, RunConfig
from ..trainer import LR_SCHEDULES, MODE_TRAIN_DEFAULTS, TrainConfig
from .flag_builder import ConfigFlags, Flag, float_in, int_in

MAX_BATCH = 65_536
MAX_STEPS = 100_000_000
MAX_EPISODES = 1_000_000


def max_workers() -> int:
    """Worker processes a user may ask for: ~300 MB each, so a few per core at most."""
    return 4 * (os.cpu_count() or 1)


def workers(text: str) -> int:
    return int_in(0, max_workers(), " (0: one per core; at most 4 per core, ~300 MB each)")(text)


def even_size(text: str) -> int:
    value = int_in(16, 1024)(text)
    if value % 2:
        raise argparse.ArgumentTypeError(f"{value} is odd: video needs an even image size (16..1024)")
    return value


def policy_steps() -> str:
    """What steps=None means, read from the policy configs: 'the policy's: bc 6000, diffusion 8000'."""
    return "the policy's: " + ", ".join(f"{name} {config().default_steps}" for name, (config, _) in POLICIES.items())


def mode_defaults(name: str) -> str:
    """What None means for a RunConfig field whose default depends on the observation mode."""
    return "default: " + ", ".join(f"{mode} {defaults[name]}" for mode, defaults in MODE_DEFAULTS.items())


EPISODES = Flag(parse=int_in(1, MAX_EPISODES))
WORKERS = Flag(parse=workers)
POLICY = Flag(choices=list(POLICIES))
OBS_MODE = Flag(choices=OBS_MODES)
TASK = Flag(to_field=resolve_task_name)  # a wrong name is one line listing the tasks, before anything runs
# One even number for square images, as the CLI always took it: `--image-size 84` → (84, 84).
SQUARE_IMAGE = Flag(parse=even_size, to_field=lambda n: (n, n), default_text=lambda size: str(size[0]), metavar="PX")

COLLECT = ConfigFlags(
    CollectConfig,
    {
        "task": TASK,
        "episodes": EPISODES,
        "human_like": Flag(name="--clean", store_false=True, help="a clean expert instead of the human-like one"),
        "image_size": SQUARE_IMAGE,
        "max_attempts_factor": Flag(parse=int_in(1, 1000)),
    },
)

GENERATE = ConfigFlags(
    GenerateConfig,
    {
        "num": EPISODES,
        "workers": WORKERS,
        "selection": Flag(choices=list(STRATEGIES)),
        "nn_k": Flag(parse=int_in(1, 1000)),
        "action_noise": Flag(parse=float_in(0.0, 1.0)),
        "tracking_gain": Flag(parse=float_in(0.0, 1.0)),  # 0 is refused by the config, naming the field
        "interpolation_steps": Flag(parse=int_in(0, 1000)),
        "image_size": SQUARE_IMAGE,
    },
)

TRAIN = ConfigFlags(
    TrainConfig,
    {
        "policy": POLICY,
        "steps": Flag(
            parse=int_in(1, MAX_STEPS),
            help=f"training steps (default: vision {MODE_TRAIN_DEFAULTS['vision']['steps']}; state {policy_steps()})",
        ),
        "batch_size": Flag(
            parse=int_in(1, MAX_BATCH),
            help="samples per training step (default: "
            + ", ".join(f"{mode} {d['batch_size']}" for mode, d in MODE_TRAIN_DEFAULTS.items())
            + ")",
        ),
        "ratio": Flag(
            parse=float_in(0.0, 1.0),
            help="share of each batch drawn from real episodes, when both are given (default: "
            + ", ".join(f"{mode} {d['ratio']}" for mode, d in MODE_TRAIN_DEFAULTS.items())
            + ")",
        ),
        "checkpoint_every": Flag(parse=int_in(1, MAX_STEPS)),
        "log_every": Flag(parse=int_in(1, MAX_STEPS)),
        "threads": Flag(parse=int_in(0, 1024)),
        "lr_schedule": Flag(choices=LR_SCHEDULES),
        "obs": OBS_MODE,
        "policy_overrides": Flag(
            name="--set", by_hand="FIELD=VALUE pairs, checked against the fields of the policy --policy names"
        ),
    },
)

EVAL = ConfigFlags(
    EvalConfig,
    {
        "episodes": EPISODES,
        "workers": WORKERS,
        "videos": Flag(parse=int_in(0, 1000)),
        "video_size": Flag(parse=int_in(16, 1024)),
    },
)

RUN = ConfigFlags(
    RunConfig,
    {
        "real_demos": EPISODES,
        "synthetic_demos": Flag(
            parse=int_in(1, MAX_EPISODES), help=f"demos generated from them ({mode_defaults('synthetic_demos')})"
        ),
        "batch_size": Flag(
            parse=int_in(1, MAX_BATCH), help=f"samples per training step of each arm ({mode_defaults('batch_size')})"
        ),
        "ratio": Flag(
            parse=float_in(0.0, 1.0), help=f"real share of each co-training batch ({mode_defaults('ratio')})"
        ),
        "eval_episodes": EPISODES,
        "workers": WORKERS,
        "policy": POLICY,
        "obs": OBS_MODE,
        "train_steps": Flag(
            parse=int_in(1, MAX_STEPS),
            help=f"training steps of each arm (default: vision {MODE_DEFAULTS['vision']['train_steps']}; state {policy_steps()})",
        ),
    },
)


def quick_run() -> str:
    """What `run --quick` changes, read from RunConfig.quick()."""
    quick, full = RunConfig.quick().model_dump(), RunConfig().model_dump()
    return ", ".join(f"{key}={value}" for key, value in quick.items() if value != full[key])


VERB_CONFIGS = {"collect": COLLECT, "generate": GENERATE, "train": TRAIN, "eval": EVAL, "run": RUN}
