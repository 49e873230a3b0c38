"""Co-training on real + synthetic demos, with checkpoints that resume bit-for-bit.

Each batch draws round(ratio · B) samples from the real episodes and the rest from the synthetic
ones (`data.MixedSampler`). The run folder holds `config.json`, `checkpoints/last.safetensors`
(every `checkpoint_every` steps and at the end), `loss.csv` and `loss.png`. `train` holds the
folder lock `collect` holds on its --out (a second `train` on it is refused), and writes each file
by temp-file-and-rename; `loss.csv` goes before each checkpoint, and a resume keeps its rows up to
the checkpoint's step, so a kill anywhere resumes with the log an uninterrupted run writes.

`obs` picks what the policy reads (`envs.observation`): "state" (proprioception and object poses)
or "vision" (proprioception and `cameras`, no object poses). A vision run trains on CUDA when
there is one — the image encoder is where its time goes — and on the CPU otherwise; a state run
always trains on the CPU, where a small MLP loses nothing and its results were measured.
"""

from __future__ import annotations

import csv
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from ..augment.config_bounds import (
    MAX_BATCH,
    MAX_STEPS,
    SEED,
    SHARE,
    Bounds,
    check_bounds,
    check_name,
    check_robot,
    ints,
)
from ..augment.data.dataset import atomic_write_bytes, write_json
from ..augment.data.lock import exclusive
from ..augment.data.robot_layout import trained_robot
from ..envs import ConfigError, DemoforgeError
from ..envs.observation import DEFAULT_OBS_MODE, OBS_MODES, observation_keys
from ..envs.scene import CAMERA_NAMES
from .checkpoint import read_meta, restore_training, save_checkpoint
from .data import Frames, MixedSampler, load_frames
from .normalize import Normalizer
from .policies import policy_classes
from .policies.overrides import check_overrides
from .run_folder import clear_unstarted_run, unstarted_run

LR_SCHEDULES = ("cosine", "constant")


def lr_factor(step: int, total_steps: int, schedule: str) -> float:
    """The multiple of the base learning rate used at `step` (0-based) of `total_steps`. A pure
    function of the step, so a resumed run continues the same schedule."""
    if schedule == "constant":
        return 1.0
    return 0.5 * (1.0 + math.cos(math.pi * step / max(total_steps, 1)))


# What `steps`, `batch_size` and `ratio` left unset (None) mean, per observation mode. Vision is sized for
# 2 CPU cores: a batch-256 step costs ~4× a batch-64 one there, and its steps were chosen outside
# `target` (Stack, 1000 demos generated in `randomized`, synthetic only: 6000 steps 78/100, 12000
# steps 86/100 in `randomized`; 12000 steps 35/50, 24000 steps 41/50 in the held-out combined shift,
# benchmarks/vision_shifts/combined.toml). State steps None: the policy config's default_steps.
# ratio, the real share of each co-training batch, chosen where nothing is reported:
# state 0.1 — 10 human-like PegInsert demos recorded in `randomized` plus 2000 generated from
# them, 100 episodes in `randomized` (the reported domain is `target`): ratio 0 (synthetic only)
# 57, 0.05 65, 0.1 67, 0.25 66, 0.5 41/100. At 0.5, ten jittery demos fill half of every batch
# (each frame is drawn ~650 times in a run, ~130 at 0.1) and the policy learns their hovering.
# vision 0 — 10 human-like Stack demos recorded in the combined shift
# (benchmarks/vision_shifts/combined.toml) plus 1000 generated in `randomized`, 50 episodes in the
# combined shift: ratio 0 35/50, 0.02 22/50. The real demos are the only frames with their
# domain's look, so a vision policy tells the domains apart and copies the hesitation there.
MODE_TRAIN_DEFAULTS = {
    "state": {"batch_size": 256, "steps": None, "ratio": 0.1},
    "vision": {"batch_size": 64, "steps": 24000, "ratio": 0.0},
}


def _mode_defaults(name: str) -> str:
    """'state 256, vision 64': what None means for a TrainConfig field, read from the table."""
    return ", ".join(f"{mode} {d[name]}" for mode, d in MODE_TRAIN_DEFAULTS.items())


@dataclass(frozen=True)
class TrainConfig:
    """Each field's `help` is its documentation and the `demoforge train` flag's help text."""

    policy: str = field(default="bc", metadata={"help": "policy to train"})
    steps: int | None = field(
        default=None,
        metadata={
            "help": f"training steps (None: vision {MODE_TRAIN_DEFAULTS['vision']['steps']}, state the policy's)"
        },
    )
    batch_size: int | None = field(
        default=None, metadata={"help": f"samples per training step (None: {_mode_defaults('batch_size')})"}
    )
    ratio: float | None = field(  # None: the mode's default, measured as MODE_TRAIN_DEFAULTS says
        default=None,
        metadata={"help": f"share of each batch drawn from real episodes (None: {_mode_defaults('ratio')})"},
    )
    seed: int = field(default=0, metadata={"help": "seed of weights, sampling and noise"})
    checkpoint_every: int = field(default=500, metadata={"help": "steps between checkpoints (and one at the end)"})
    log_every: int = field(default=50, metadata={"help": "steps between loss.csv rows"})
    threads: int = field(default=0, metadata={"help": "torch CPU threads (0: torch's default)"})
    policy_overrides: dict[str, Any] = field(
        default_factory=dict, metadata={"help": "policy config fields, e.g. {'chunk_size': 16}"}
    )
    # "cosine" decays the policy's lr to 0 at the last step (as Diffusion Policy and LeRobot train),
    # "constant" keeps it. The last checkpoint is the one evaluated, and at a constant lr it is one
    # noisy step of many. Measured (PegInsert, BC on 1000 generated demos, 2000 steps, 40 episodes
    # in `randomized`): constant 17/40, cosine 23/40.
    lr_schedule: str = field(default="cosine", metadata={"help": "the learning rate over the run"})
    obs: str = field(
        default=DEFAULT_OBS_MODE,
        metadata={"help": "observation mode: state (proprioception + object poses) or vision (+ cameras, no poses)"},
    )
    # The vision mode: a camera that sees the scene and one that sees the grasp.
    cameras: tuple[str, ...] = field(
        default=("front", "wrist"), metadata={"help": "cameras a vision policy reads (recorded in the datasets)"}
    )
    robot: str | None = field(
        default=None,
        metadata={"help": "robot the policy is for: a name or a robot .toml file (default: the one the data records)"},
    )

    # The numeric fields' ranges, checked on construction and read by the `demoforge train` flags.
    BOUNDS: ClassVar[dict[str, Bounds]] = {
        "steps": ints(1, MAX_STEPS),
        "batch_size": ints(1, MAX_BATCH),
        "ratio": SHARE,
        "seed": SEED,
        "checkpoint_every": ints(1, MAX_STEPS),
        "log_every": ints(1, MAX_STEPS),
        "threads": ints(0, 1024),
    }

    def __post_init__(self) -> None:
        check_name("TrainConfig.policy", self.policy, policy_classes)
        config_cls, _ = policy_classes(self.policy)
        for name, value in MODE_TRAIN_DEFAULTS.get(self.obs, MODE_TRAIN_DEFAULTS["state"]).items():  # bad obs: below
            if getattr(self, name) is None:  # the mode's default, so config.json names the number used
                object.__setattr__(self, name, value)
        check_bounds(self)
        if self.lr_schedule not in LR_SCHEDULES:
            raise ConfigError(f"TrainConfig.lr_schedule={self.lr_schedule!r}; allowed: {', '.join(LR_SCHEDULES)}")
        if self.obs not in OBS_MODES:
            raise ConfigError(f"TrainConfig.obs={self.obs!r}; allowed: {', '.join(OBS_MODES)}")
        check_robot("TrainConfig.robot", self.robot, optional=True)
        if self.obs == "vision":
            unknown = [c for c in self.cameras if c not in CAMERA_NAMES]
            if not self.cameras or unknown:
                raise ConfigError(
                    f"TrainConfig.cameras={list(self.cameras)}: obs='vision' needs one or more of {', '.join(CAMERA_NAMES)}"
                )
            if "encoder" not in {f.name for f in fields(config_cls)}:
                raise ConfigError(f"TrainConfig.policy={self.policy!r} reads state vectors only; obs='vision' needs bc")
        # Checked against the policy's config fields; lists given for tuple fields become tuples.
        object.__setattr__(self, "policy_overrides", check_overrides(self.policy, self.policy_overrides))

    @property
    def obs_keys(self) -> tuple[str, ...]:
        """The dataset observations the policy reads, in input order (stored in the checkpoint)."""
        return observation_keys(self.obs, self.cameras if self.obs == "vision" else ())


class TrainingDiverged(DemoforgeError):
    """The loss went NaN or infinite: no checkpoint is written from such weights."""


@dataclass
class TrainResult:
    run: Path
    steps: int
    final_loss: float
    samples_per_second: float
    seconds: float


def train(
    out: str | Path,
    config: TrainConfig,
    real: str | Path | None = None,
    synthetic: str | Path | None = None,
    resume: bool = False,
    progress: Callable[[int, int, float], None] | None = None,
) -> TrainResult:
    """Train `config.policy` on the datasets given; `resume=True` continues the run at `out`. A
    run killed before its first checkpoint (only train's own files in `out`) starts again."""
    out = Path(out)
    with exclusive(out, "demoforge train", dataset=False):
        if unstarted_run(out):  # nothing to resume: start it again
            clear_unstarted_run(out)
            resume = False
        return _train(out, config, real, synthetic, resume, progress)


def _train(
    out: Path,
    config: TrainConfig,
    real: str | Path | None,
    synthetic: str | Path | None,
    resume: bool,
    progress: Callable[[int, int, float], None] | None,
) -> TrainResult:
    ckpt = out / "checkpoints" / "last.safetensors"
    if config.threads:
        torch.set_num_threads(config.threads)
    if resume:
        if not ckpt.is_file():
            raise FileNotFoundError(f"run {out}: nothing to resume ({ckpt.relative_to(out)} missing)")
        saved = json.loads((out / "config.json").read_text())
        if (
            {**_jsonable(TrainConfig()), **saved["train"]} != _jsonable(config)  # later fields: defaults
            or saved["real"] != _path(real)
            or saved["synthetic"] != _path(synthetic)
        ):
            raise ConfigError(f"run {out}: --resume needs the same data and settings the run started with")
    elif out.exists() and any(out.iterdir()):
        raise ConfigError(f"run folder {out} is not empty (pass --resume to continue it, or another --out)")

    task = _task_of(real or synthetic)
    robot = trained_robot([root for root in (real, synthetic) if root], config.robot)
    obs_keys = config.obs_keys  # stored in the checkpoint: evaluation feeds exactly these
    real_frames = load_frames([real], obs_keys) if real else None
    syn_frames = load_frames([synthetic], obs_keys) if synthetic else None
    both = [f for f in (real_frames, syn_frames) if f is not None]
    if not both:
        raise ConfigError("train needs --real and/or --synthetic data")
    image_shapes = _image_shapes(both, real, synthetic)
    normalizer = Normalizer.from_arrays(
        np.concatenate([f.obs for f in both]), np.concatenate([f.actions for f in both])
    )
    config_cls, policy_cls = policy_classes(config.policy)
    policy_config = config_cls(**config.policy_overrides)
    total_steps = config.steps or policy_config.default_steps
    torch.manual_seed(config.seed)
    policy = policy_cls(policy_config, both[0].obs.shape[1], both[0].actions.shape[1], normalizer, image_shapes)
    device = torch.device("cuda" if image_shapes and torch.cuda.is_available() else "cpu")
    if device.type != "cpu":
        policy.to(device)
        policy.normalizer = normalizer.to(device)
    optimizer = torch.optim.AdamW(policy.parameters(), lr=policy_config.lr, weight_decay=policy_config.weight_decay)
    sampler = MixedSampler(real_frames, syn_frames, config.ratio, config.batch_size, config.seed)
    noise_gen = torch.Generator().manual_seed(config.seed + 1)  # diffusion noise, dropout is off the books
    generators = {"sampler": sampler.generator, "noise": noise_gen}
    start, log = 0, []
    if resume:
        global_gen = torch.Generator()  # dropout draws from torch's global generator
        meta = restore_training(ckpt, policy, optimizer, {**generators, "global": global_gen})
        start = meta["step"]
        torch.set_rng_state(global_gen.get_state())
        log = [row for row in read_loss_log(out) if row[0] <= start]  # rows past a kill's checkpoint go
    else:
        out.mkdir(parents=True, exist_ok=True)
        write_json(
            out / "config.json",
            {
                "task": task,
                "robot": robot,
                "train": _jsonable(config),
                "policy_config": asdict(policy_config),
                "real": _path(real),
                "synthetic": _path(synthetic),
            },
        )
    policy.train()
    t0, samples = time.perf_counter(), 0
    for step in range(start, total_steps):
        batch = sampler.batch(policy.n_obs_steps, policy.horizon, policy.n_past_actions)
        if device.type != "cpu":
            batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
        for group in optimizer.param_groups:
            group["lr"] = policy_config.lr * lr_factor(step, total_steps, config.lr_schedule)
        loss = policy.loss(batch, noise_gen)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        samples += config.batch_size
        if (step + 1) % config.log_every == 0 or step + 1 == total_steps:
            log.append((step + 1, float(loss.detach())))
            if progress:
                progress(step + 1, total_steps, log[-1][1])
        if (step + 1) % config.checkpoint_every == 0 or step + 1 == total_steps:
            if not math.isfinite(float(loss.detach())):  # NaN weights would follow into the checkpoint
                raise TrainingDiverged(
                    f"run {out}: training diverged (loss {float(loss.detach())} at step {step + 1}); "
                    "the last checkpoint is kept (try a lower --set lr=..., or check the data for extreme values)"
                )
            write_loss_log(out, log)  # first: a checkpoint never stands without its log rows
            _save(ckpt, policy, optimizer, generators, step + 1, config, task, obs_keys, robot)
    seconds = time.perf_counter() - t0
    write_loss_log(out, log)
    plot_loss(out, log)
    return TrainResult(out, total_steps, log[-1][1] if log else float("nan"), samples / max(seconds, 1e-9), seconds)


def _image_shapes(both: list[Frames], real, synthetic) -> dict[str, tuple[int, int, int]]:
    """The camera frames' (C, H, W) by key; real and synthetic data must agree (one encoder each)."""
    shapes = both[0].image_shapes
    if len(both) == 2 and both[1].image_shapes != shapes:
        raise ConfigError(
            f"camera frames differ between --real {real} {shapes} and --synthetic {synthetic} {both[1].image_shapes}"
        )
    return shapes


def _task_of(root) -> str | None:
    from ..augment.data.dataset import Dataset

    ds = Dataset(root)
    return ds.meta(0).get("task") if len(ds) else None


def _save(
    ckpt: Path,
    policy,
    optimizer,
    generators,
    step: int,
    config: TrainConfig,
    task: str | None,
    obs_keys: tuple[str, ...],
    robot: dict[str, Any],
) -> None:
    gens = dict(generators)
    global_gen = torch.Generator()
    global_gen.set_state(torch.get_rng_state())  # dropout draws from the global generator
    gens["global"] = global_gen
    save_checkpoint(
        ckpt,
        policy,
        optimizer,
        gens,
        {"step": step, "task": task, "train": _jsonable(config), "robot": robot},
        obs_keys,
    )


def _jsonable(config: TrainConfig) -> dict:
    return json.loads(json.dumps(asdict(config)))


def _path(p) -> str | None:
    return str(Path(p).resolve()) if p else None


def write_loss_log(out: Path, log: list[tuple[int, float]]) -> None:
    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["step", "loss"])
            writer.writerows(log)

    atomic_write_bytes(out / "loss.csv", write)


def read_loss_log(out: Path) -> list[tuple[int, float]]:
    path = out / "loss.csv"
    if not path.is_file():
        return []
    with open(path) as f:
        return [(int(r["step"]), float(r["loss"])) for r in csv.DictReader(f)]


def plot_loss(out: Path, log: list[tuple[int, float]]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2))
    if log:
        steps, losses = zip(*log)
        ax.plot(steps, losses)
    ax.set(xlabel="step", ylabel="training loss", yscale="log", title=out.name)
    fig.tight_layout()
    path = out / "loss.png"
    atomic_write_bytes(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    plt.close(fig)
    return path


__all__ = ["TrainConfig", "TrainResult", "train", "read_meta"]
