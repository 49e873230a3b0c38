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
from concurrent.futures import as_completed
from functools import partial
from pathlib import Path

import yaml

from ..augment.data.record import CollectConfig, collect
from ..augment.generate import GenerateConfig, generate
from ..envs import ConfigError, carry_registrations, resolve_task_name, spawned_pool
from .evaluate import EvalConfig, evaluate
from .report import write_report
from .run_config import RunConfig, run_train_config
from .run_folder import check_run_out, clear_unstarted_run
from .run_layout import (
    ARMS,
    calibration_dir,
    evaluation_profile,
    generation_profile,
    run_cameras,
    run_data_dirs,
    same_as,
)
from .trainer import train


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
        self._finished(name, time.perf_counter() - start)
        return True

    def run_concurrently(
        self, jobs: dict[str, Callable[[], None]], processes: int, log: Callable[[str], None] = print
    ) -> None:
        """Run the unfinished `jobs` (stage name → picklable function) in up to `processes` spawned
        processes at once, each marked done as it finishes; with one process, one after another."""
        pending = {name: fn for name, fn in jobs.items() if name not in self.done}
        for name in jobs.keys() - pending.keys():
            log(f"[skip] {name}: finished earlier ({self.done[name]:.1f} s)")
        if processes <= 1 or len(pending) <= 1:
            for name, fn in pending.items():
                self.run(name, fn, log)
            return
        log(f"[run ] {', '.join(pending)} ({min(processes, len(pending))} processes)")
        start = time.perf_counter()
        errors = []
        with spawned_pool("training", min(processes, len(pending))) as pool:
            futures = {pool.submit(carry_registrations(fn)): name for name, fn in pending.items()}
            for future in as_completed(futures):
                if future.cancelled():
                    continue
                if future.exception() is None:
                    self._finished(futures[future], time.perf_counter() - start)
                    continue
                errors.append(future.exception())
                for other in futures:  # those not started yet; the running ones finish and count
                    other.cancel()
        if errors:
            raise errors[0]

    def _finished(self, name: str, seconds: float) -> None:
        self.done[name] = seconds
        tmp = self.path.with_name("stages.json.tmp")
        tmp.write_text(json.dumps(self.done, indent=2))
        os.replace(tmp, self.path)


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
            robot=config.robot,
        ),
        real,
    )


def calibrate_real_domain(config: RunConfig, real: Path, out: Path, log: Callable[[str], None] = print) -> None:
    """Stage 2: measure the real domain from the real demos (`augment.domain.calibrate`) and write
    the profile generation runs in, `calibration/calibrated.toml`. With fewer demos than
    calibration needs to tell how well it did, it writes `calibration/skipped.json` instead, and
    generation runs in the configured profile."""
    from ..augment.data.dataset import write_json
    from ..augment.domain.calibrate import TooFewDemos, calibrate, calibrated_profile
    from ..augment.domain.profiles import save_profile

    folder = calibration_dir(out)
    if folder.exists():
        shutil.rmtree(folder)  # an unfinished stage's files: this run wrote them
    folder.mkdir(parents=True)
    try:
        result = calibrate(real, task=resolve_task_name(config.task), log=log)
    except TooFewDemos as few:
        why = (
            f"{few.usable} real demos; calibration needs at least {few.needed} to tell how well it identified anything"
        )
        log(f"calibration skipped: {why}; generating in {config.profile_generate}")
        write_json(folder / "skipped.json", {"reason": why})
        return
    result.save(folder / "result.json")
    save_profile(
        calibrated_profile(result, config.profile_generate, mode=config.calibration), folder / "calibrated.toml"
    )


def source_settings(out: Path) -> dict:
    """Generation settings that follow from what calibration found of the sources
    (`laggy_source_settings`); none without a calibration."""
    from ..augment.generate.config import laggy_source_settings

    result = calibration_dir(out) / "result.json"
    return laggy_source_settings(json.loads(result.read_text())["latency_steps"]) if result.is_file() else {}


def generate_synthetic_demos(config: RunConfig, real: Path, synthetic: Path, profile: str, settings: dict) -> None:
    """Stage 3: `config.synthetic_demos` generated from `real` in `profile`, with the GenerateConfig
    fields `settings` (`source_settings`) (resumes)."""
    gen = GenerateConfig(
        **settings,
        num=config.synthetic_demos,
        profile=profile,
        seed=config.seed,
        workers=config.workers or os.cpu_count() or 1,
        cameras=run_cameras(config),
        robot=config.robot,
    )
    summary = generate(real, synthetic, gen, task=resolve_task_name(config.task))
    if not summary.complete:
        raise RuntimeError(
            f"generation stopped at its attempt limit with {summary.episodes}/{config.synthetic_demos} demos"
        )


def train_arm(config: RunConfig, run_dir: Path, real: Path | None, synthetic: Path | None) -> None:
    """Stage 4, one arm: train on the data given, resuming from the arm's last checkpoint. Runs in
    a process of its own when arms train side by side, so it takes everything as arguments."""
    resume = (run_dir / "checkpoints" / "last.safetensors").is_file()
    if not resume:
        clear_unstarted_run(run_dir)  # only what train() wrote; anything else is refused
    train(run_dir, run_train_config(config), real=real, synthetic=synthetic, resume=resume)


def prepare_run_data(config: RunConfig, out: str | Path, log: Callable[[str], None] = print) -> Stages:
    """A run's first two stages (or what is left of them): `out/data/real` and `out/data/synthetic`.
    `run_pipeline` goes on from here; a caller that needs only the data (another training seed on
    the same demos) stops here, and a later `run_pipeline` with the same settings skips them."""
    out = Path(out)
    config.check()  # every setting, before anything is written (a config made without validation too)
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
    if config.calibration != "off":
        stages.run("calibrate the real domain", lambda: calibrate_real_domain(config, real, out, log), log)
    profile, settings = generation_profile(config, out), source_settings(out)
    stages.run(
        "generate synthetic demos", lambda: generate_synthetic_demos(config, real, synthetic, profile, settings), log
    )
    return stages


def run_pipeline(config: RunConfig, out: str | Path, log: Callable[[str], None] = print) -> dict:
    """Run (or resume) the whole job into `out`; returns the report's numbers."""
    out = Path(out)
    stages = prepare_run_data(config, out, log)
    task = resolve_task_name(config.task)
    real, synthetic = run_data_dirs(out)
    workers = config.workers or os.cpu_count() or 1
    same = same_as(config)
    jobs = {}
    for arm, (use_real, use_syn) in ARMS.items():
        if arm in same:
            log(f"[same] train {arm}: ratio 0 puts no real frame in a batch, so it is the {same[arm]} policy")
            continue
        data = {"real": real if use_real else None, "synthetic": synthetic if use_syn else None}
        jobs[f"train {arm}"] = partial(train_arm, config, out / "runs" / arm, **data)
    # State policies train side by side, one thread each (run_train_config), all arms at once even
    # on 2 cores: a single-thread arm takes twice a two-thread one on an idle machine (Lift 181 s
    # against ~95 s), so two processes then a third (362 s) lose to three sharing the cores, and a
    # two-thread torch beside other work spins more than it computes. Vision arms hold every
    # camera frame in memory, so they train one at a time.
    stages.run_concurrently(jobs, len(jobs) if config.obs == "state" and workers > 1 else 1, log)
    eval_profile = evaluation_profile(config, out)
    for arm in ARMS:

        def eval_arm(arm=arm) -> None:
            if arm in same:  # the same checkpoint and seeds: its episodes are the other arm's
                shutil.copytree(out / "eval" / same[arm], out / "eval" / arm, dirs_exist_ok=True)
                return
            evaluate(
                out / "runs" / arm,
                EvalConfig(profile=eval_profile, episodes=config.eval_episodes, workers=workers),
                out=out / "eval" / arm,
            )

        stages.run(f"evaluate {arm} in {eval_profile}", eval_arm, log)
    return write_report(out, config, task, stages.done)
