"""The config-backed flags of `demoforge collect/generate/train/eval/run`: one `ConfigFlags` per verb,
with the choices, old names and conversions the config classes' types do not imply. Defaults, help
and every range come from the classes (their `BOUNDS`), which check them again when built."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ...augment.config_bounds import IMAGE_PX
from ...augment.data.record import CollectConfig
from ...augment.domain.calibrate import CalibrationConfig
from ...augment.generate import GenerateConfig
from ...augment.generate.select import STRATEGIES
from ...augment.teleop import TeleopConfig
from ...envs import resolve_task_name
from ...envs.observation import OBS_MODES
from ..evaluate import EvalConfig
from ..policies import POLICIES
from ..run_config import CALIBRATION_CHOICES, MODE_DEFAULTS, TASK_DEFAULTS, RunConfig
from ..trainer import LR_SCHEDULES, MODE_TRAIN_DEFAULTS, TrainConfig
from .flag_builder import ConfigFlags, Flag


def even_size(text: str) -> int:
    """`--image-size 84`: one side of a square image; CollectConfig/GenerateConfig check the range."""
    low, high = IMAGE_PX
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{value} is out of range: expected an even integer in {low}..{high}")
    if value % 2:
        raise argparse.ArgumentTypeError(f"{value} is odd: video needs an even image size ({low}..{high})")
    return value


def field_value(text: str) -> tuple[str, Any]:
    """`--set chunk_size=16` → ('chunk_size', 16): the value parsed as JSON when it parses, else the
    text. TrainConfig checks the pair against the policy's config fields."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r}: expected FIELD=VALUE")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def policy_steps() -> str:
    """What steps=None means, read from the policy configs: 'the policy's: bc 6000, diffusion 8000'."""
    return "the policy's: " + ", ".join(f"{name} {config().default_steps}" for name, (config, _) in POLICIES.items())


def mode_defaults(name: str) -> str:
    """What None means for a RunConfig field whose default depends on the observation mode."""
    text = "default: " + ", ".join(f"{mode} {defaults[name]}" for mode, defaults in MODE_DEFAULTS.items())
    return text + task_defaults(name)


def task_defaults(name: str) -> str:
    """'; Lift (state) 1000': the tasks whose own default of RunConfig field `name` differs."""
    return "".join(
        f"; {task} ({', '.join(filter(None, (mode, policy)))}) {d[name]}"
        for (mode, task, policy), d in TASK_DEFAULTS.items()
        if name in d
    )


POLICY = Flag(choices=list(POLICIES))
OBS_MODE = Flag(choices=OBS_MODES)
TASK = Flag(to_field=resolve_task_name)  # a wrong name is one line listing the tasks, before anything runs
# One even number for square images, as the CLI always took it: `--image-size 84` → (84, 84).
SQUARE_IMAGE = Flag(parse=even_size, to_field=lambda n: (n, n), default_text=lambda size: str(size[0]), metavar="PX")

COLLECT = ConfigFlags(
    CollectConfig,
    {
        "task": TASK,
        "human_like": Flag(name="--clean", store_false=True, help="a clean expert instead of the human-like one"),
        "image_size": SQUARE_IMAGE,
    },
)

GENERATE = ConfigFlags(
    GenerateConfig,
    {
        "selection": Flag(choices=list(STRATEGIES)),
        "image_size": SQUARE_IMAGE,
    },
)

TRAIN = ConfigFlags(
    TrainConfig,
    {
        "policy": POLICY,
        "steps": Flag(
            help=f"training steps (default: vision {MODE_TRAIN_DEFAULTS['vision']['steps']}; state {policy_steps()})",
        ),
        "batch_size": Flag(
            help="samples per training step (default: "
            + ", ".join(f"{mode} {d['batch_size']}" for mode, d in MODE_TRAIN_DEFAULTS.items())
            + ")",
        ),
        "ratio": Flag(
            help="share of each batch drawn from real episodes, when both are given (default: "
            + ", ".join(f"{mode} {d['ratio']}" for mode, d in MODE_TRAIN_DEFAULTS.items())
            + ")",
        ),
        "lr_schedule": Flag(choices=LR_SCHEDULES),
        "obs": OBS_MODE,
        "policy_overrides": Flag(
            name="--set", by_hand="FIELD=VALUE pairs, checked against the fields of the policy --policy names"
        ),
    },
)

EVAL = ConfigFlags(EvalConfig)

RUN = ConfigFlags(
    RunConfig,
    {
        "synthetic_demos": Flag(help=f"demos generated from them ({mode_defaults('synthetic_demos')})"),
        "batch_size": Flag(help=f"samples per training step of each arm ({mode_defaults('batch_size')})"),
        "ratio": Flag(help=f"real share of each co-training batch ({mode_defaults('ratio')})"),
        "policy": POLICY,
        "obs": OBS_MODE,
        "calibration": Flag(choices=CALIBRATION_CHOICES),
        "train_steps": Flag(
            help=f"training steps of each arm (default: vision {MODE_DEFAULTS['vision']['train_steps']}; state "
            f"{policy_steps()}{task_defaults('train_steps')})",
        ),
    },
)


def quick_run() -> str:
    """What `run --quick` changes, read from RunConfig.quick()."""
    quick, full = RunConfig.quick().model_dump(), RunConfig().model_dump()
    return ", ".join(f"{key}={value}" for key, value in quick.items() if value != full[key])


TELEOP = ConfigFlags(
    TeleopConfig,
    {
        "task": TASK,
        "image_size": SQUARE_IMAGE,
        "device": Flag(metavar="web|script:EVENTS.jsonl"),
        "host": Flag(metavar="ADDRESS"),
    },
)

VERB_CONFIGS = {"collect": COLLECT, "teleop": TELEOP, "generate": GENERATE, "train": TRAIN, "eval": EVAL, "run": RUN}

CALIBRATE = ConfigFlags(CalibrationConfig, {})
