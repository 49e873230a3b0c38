"""`demoforge run`: real demos → synthetic demos → three policies → evaluation → report.

Stages write into one output folder and mark themselves done in `stages.json`; rerunning after a
kill skips finished stages and resumes the unfinished one where it can (generation and training
resume exactly; collection and evaluation are redone, they are short).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..augment.generate import GenerateConfig, generate
from ..augment.record import CollectConfig, collect
from ..envs import ConfigError, resolve_task_name, validation_summary
from ..envs.observation import DEFAULT_OBS_MODE
from .evaluate import EvalConfig, evaluate
from .run_folder import check_run_out, clear_unstarted_run
from .trainer import MODE_TRAIN_DEFAULTS, TrainConfig, train

ARMS = {  # arm → (uses real, uses synthetic)
    "real_only": (True, False),
    "synthetic_only": (False, True),
    "real_synthetic": (True, True),
}


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


class Stages:
    """Stage bookkeeping in <out>/stages.json: which stages finished and how long they took."""

    def __init__(self, out: Path):
        self.path = out / "stages.json"
        self.done: dict[str, float] = json.loads(self.path.read_text()) if self.path.is_file() else {}

    def run(self, name: str, fn: Callable[[], None], log: Callable[[str], None] = print) -> bool:
        """Run `fn` unless `name` already finished; returns True if it ran now."""
        if name in self.done:
            log(f"[skip] {name}: finished earlier ({self.done[name]:.1f} s)")
            return False
        log(f"[run ] {name}")
        start = time.perf_counter()
        fn()
        self.done[name] = time.perf_counter() - start
        tmp = self.path.with_name("stages.json.tmp")
        tmp.write_text(json.dumps(self.done, indent=2))
        os.replace(tmp, self.path)
        return True


def run_cameras(config: RunConfig) -> tuple[str, ...]:
    """The cameras collection and generation record: those the vision mode reads, at the
    recorders' default 84 × 84; none for a state run (its datasets stay as they were)."""
    return TrainConfig.cameras if config.obs == "vision" else ()


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


def collect_real_demos(config: RunConfig, real: Path) -> None:
    """Stage 1: the human-like demos in the target profile. Continues a collection a kill
    interrupted; refuses a folder it did not write."""
    collect(
        CollectConfig(
            task=resolve_task_name(config.task),
            episodes=config.real_demos,
            profile=config.profile_target,
            seed=config.seed,
            cameras=run_cameras(config),
        ),
        real,
    )


def generate_synthetic_demos(config: RunConfig, real: Path, synthetic: Path) -> None:
    """Stage 2: `config.synthetic_demos` generated from `real` in the generation profile (resumes)."""
    gen = GenerateConfig(
        num=config.synthetic_demos,
        profile=config.profile_generate,
        seed=config.seed,
        workers=config.workers or os.cpu_count() or 1,
        cameras=run_cameras(config),
    )
    summary = generate(real, synthetic, gen, task=resolve_task_name(config.task))
    if not summary.complete:
        raise RuntimeError(
            f"generation stopped at its attempt limit with {summary.episodes}/{config.synthetic_demos} demos"
        )


def train_arm(config: RunConfig, run_dir: Path, real: Path | None, synthetic: Path | None) -> None:
    """Stage 3, one arm: train on the data given, resuming from the arm's last checkpoint."""
    resume = (run_dir / "checkpoints" / "last.safetensors").is_file()
    if not resume:
        clear_unstarted_run(run_dir)  # only what train() wrote; anything else is refused
    train(run_dir, run_train_config(config), real=real, synthetic=synthetic, resume=resume)


def run_data_dirs(out: Path) -> tuple[Path, Path]:
    """Where a run keeps its datasets: (real demos, synthetic demos)."""
    return out / "data" / "real", out / "data" / "synthetic"


def prepare_run_data(config: RunConfig, out: str | Path, log: Callable[[str], None] = print) -> Stages:
    """A run's first two stages (or what is left of them): `out/data/real` and `out/data/synthetic`.
    `run_pipeline` goes on from here; a caller that needs only the data (another training seed on
    the same demos) stops here, and a later `run_pipeline` with the same settings skips them."""
    out = Path(out)
    check_run_out(out)  # never write into (or delete from) a folder this command did not create
    out.mkdir(parents=True, exist_ok=True)
    config_path = out / "run_config.yaml"
    dumped = yaml.safe_dump(config.model_dump(), sort_keys=False)
    if config_path.is_file() and config_path.read_text() != dumped:
        raise ConfigError(f"{out} holds a run with other settings ({config_path.name}); use another --out")
    config_path.write_text(dumped)
    stages = Stages(out)
    real, synthetic = run_data_dirs(out)
    stages.run("collect real demos", lambda: collect_real_demos(config, real), log)
    stages.run("generate synthetic demos", lambda: generate_synthetic_demos(config, real, synthetic), log)
    return stages


def run_pipeline(config: RunConfig, out: str | Path, log: Callable[[str], None] = print) -> dict:
    """Run (or resume) the whole job into `out`; returns the report's numbers."""
    from .report import write_report

    out = Path(out)
    stages = prepare_run_data(config, out, log)
    task = resolve_task_name(config.task)
    real, synthetic = run_data_dirs(out)
    workers = config.workers or os.cpu_count() or 1
    same = same_as(config)
    for arm, (use_real, use_syn) in ARMS.items():
        if arm in same:
            log(f"[same] train {arm}: ratio 0 puts no real frame in a batch, so it is the {same[arm]} policy")
            continue
        data = {"real": real if use_real else None, "synthetic": synthetic if use_syn else None}
        stages.run(f"train {arm}", lambda arm=arm, data=data: train_arm(config, out / "runs" / arm, **data), log)
    for arm in ARMS:

        def eval_arm(arm=arm) -> None:
            if arm in same:  # the same checkpoint and seeds: its episodes are the other arm's
                shutil.copytree(out / "eval" / same[arm], out / "eval" / arm, dirs_exist_ok=True)
                return
            evaluate(
                out / "runs" / arm,
                EvalConfig(profile=config.profile_target, episodes=config.eval_episodes, workers=workers),
                out=out / "eval" / arm,
            )

        stages.run(f"evaluate {arm} in {config.profile_target}", eval_arm, log)
    return write_report(out, config, task, stages.done)


def same_as(config: RunConfig) -> dict[str, str]:
    """Arms that are another arm's policy: at ratio 0 no batch holds a real frame, so real +
    synthetic is the synthetic-only policy (the real demos seed generation only). It is trained and
    evaluated once; the report says so."""
    return {"real_synthetic": "synthetic_only"} if config.ratio == 0 else {}
