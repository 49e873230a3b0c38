"""demoforge: multiply a few robot demonstrations into many in randomized MuJoCo simulation,
train on real + synthetic, and measure the uplift on a domain the policy never trained in.

The public surface, for training scripts (every `demoforge` CLI verb is a thin layer over one of
these). Subpackages, data flowing one way: `demoforge.envs` (scenes, tasks, experts) →
`demoforge.augment` (randomization, datasets, generation) → `demoforge.train` (policies, CLI).
Heavy parts (torch) load on first use, so `import demoforge` stays quick.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .envs import EnvConfig, ManipulationEnv, register_task, register_task_file
from .envs import make_task_env as _make_task_env
from .envs.experts import register_expert

__version__ = "0.1.0"

# name → (module, attribute), imported on first access (PEP 562)
_LAZY = {
    "Profile": ("demoforge.augment.domain.profiles", "Profile"),
    "load_profile": ("demoforge.augment.domain.profiles", "load_profile"),
    "Dataset": ("demoforge.augment.data.dataset", "Dataset"),
    "Episode": ("demoforge.augment.data.dataset", "Episode"),
    "DatasetWriter": ("demoforge.augment.data.writer", "DatasetWriter"),
    "CollectConfig": ("demoforge.augment.data.record", "CollectConfig"),
    "GenerateConfig": ("demoforge.augment.generate", "GenerateConfig"),
    "import_dataset": ("demoforge.augment.io.convert", "import_dataset"),
    "RealRobotImport": ("demoforge.augment.io.real_robot", "RealRobotImport"),
    "export_dataset": ("demoforge.augment.io.convert", "export_dataset"),
    "ChunkDataset": ("demoforge.train.data", "ChunkDataset"),
    "Normalizer": ("demoforge.train.normalize", "Normalizer"),
    "TrainConfig": ("demoforge.train.trainer", "TrainConfig"),
    "EvalConfig": ("demoforge.train.evaluate", "EvalConfig"),
    "RunConfig": ("demoforge.train.run_config", "RunConfig"),
    "load_policy": ("demoforge.train.checkpoint", "load_policy"),
    "wilson_interval": ("demoforge.train.stats", "wilson_interval"),
    "make_vec_env": ("demoforge.augment.io.lerobot_env", "make_vec_env"),
    "evaluate_lerobot": ("demoforge.train.lerobot_eval", "evaluate_lerobot"),
    "register_policy": ("demoforge.train.policies", "register_policy"),
    "calibrate": ("demoforge.augment.domain.calibrate", "calibrate"),
    "CalibrationConfig": ("demoforge.augment.domain.calibrate", "CalibrationConfig"),
    "replay_episodes": ("demoforge.augment.data.replay", "replay_episodes"),
    "annotate_auto": ("demoforge.augment.data.annotate", "annotate_auto"),
}

if TYPE_CHECKING:  # for type checkers and IDEs; at run time these load lazily
    from .augment.data.dataset import Dataset
    from .augment.domain.profiles import Profile
    from .augment.generate import GenerateConfig, GenerationSummary
    from .train.evaluate import EvalResult
    from .train.trainer import TrainResult


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(import_module(module), attr)
    raise AttributeError(f"module 'demoforge' has no attribute {name!r}")


def make_env(task: str, profile: str | Path | Profile | None = None, **kwargs: Any):
    """A task env, e.g. `make_env("Stack")`; with `profile` ("nominal", "randomized", "target"
    or a .toml path) it runs inside that domain (a `DomainRandomizationWrapper`).
    kwargs: `task_config`, `config` (EnvConfig), `render_mode`. Raises UnknownNameError for an
    unknown task or profile, ConfigError for a bad profile file."""
    if profile is None:
        return _make_task_env(task, **kwargs)
    from .augment.domain.wrapper import make_domain_env

    return make_domain_env(task, profile, **kwargs)


def collect_demos(
    task: str,
    episodes: int,
    out: str | Path,
    profile: str = "target",
    human_like: bool = True,
    cameras: tuple[str, ...] = (),
    seed: int = 0,
) -> dict:
    """Record `episodes` successful scripted-expert demos of `task` in `profile` into a new
    dataset at `out` (LeRobot v3 layout). Returns counts and timing. Raises DatasetError if `out`
    exists and is not empty."""
    from .augment.data.record import CollectConfig, collect

    return collect(
        CollectConfig(
            task=task, episodes=episodes, profile=profile, human_like=human_like, cameras=tuple(cameras), seed=seed
        ),
        out,
    )


def generate_demos(
    source: str | Path, out: str | Path, config: GenerateConfig | None = None, task: str | None = None, **fields: Any
) -> GenerationSummary:
    """Generate synthetic demos from the source dataset into `out` (resumable: call again with the
    same settings to continue). Settings: a `GenerateConfig`, or its fields as keywords
    (`num=1000, workers=2, profile="randomized"`)."""
    from .augment.generate import GenerateConfig, generate

    return generate(source, out, config or GenerateConfig(**fields), task=task)


def open_dataset(path: str | Path) -> Dataset:
    """A demoforge/LeRobot v3 dataset: `len(ds)`, `ds.episode(i)` → Episode (arrays by feature,
    decoded camera frames, metadata), iteration one episode at a time, `ds.stats`."""
    from .augment.data.dataset import Dataset

    return Dataset(path)


def train_policy(
    out: str | Path,
    real: str | Path | None = None,
    synthetic: str | Path | None = None,
    policy: str = "bc",
    resume: bool = False,
    **fields: Any,
) -> TrainResult:
    """Train a policy on real and/or synthetic demos (co-training at `ratio`: by default 0.1 for state
    policies, 0 for vision ones) into the run folder `out` (safetensors checkpoints, loss.csv,
    loss.png). Extra keywords are TrainConfig fields (`steps`, `batch_size`, `ratio`, `seed`, `policy_overrides`)."""
    from .train.trainer import TrainConfig, train

    return train(out, TrainConfig(policy=policy, **fields), real=real, synthetic=synthetic, resume=resume)


def evaluate_policy(run: str | Path, profile: str = "target", episodes: int = 50, **fields: Any) -> EvalResult:
    """Closed-loop success of the policy in run folder `run` within `profile`, with a Wilson 95 %
    interval, mean episode length and per-subtask progress (EvalConfig fields as keywords)."""
    from .train.evaluate import EvalConfig, evaluate

    return evaluate(run, EvalConfig(profile=profile, episodes=episodes, **fields))


def run(out: str | Path = "demoforge_run", **fields: Any) -> dict:
    """The whole job `demoforge run` does (RunConfig fields as keywords); returns the report's numbers."""
    from .train.pipeline import run_pipeline
    from .train.run_config import RunConfig

    return run_pipeline(RunConfig(**fields), out)


__all__ = [
    "EnvConfig",
    "ManipulationEnv",
    "collect_demos",
    "evaluate_policy",
    "generate_demos",
    "make_env",
    "open_dataset",
    "register_expert",
    "register_task",
    "register_task_file",
    "run",
    "train_policy",
    *_LAZY,
    "__version__",
]
