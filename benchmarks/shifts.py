"""Uplift in development domains outside `randomized`'s ranges (benchmarks/shifts/), with calibration
on and off side by side: `python -m benchmarks shifts`.

For each shift and task, `demoforge run` on its defaults with `--profile-target <shift>` twice: with
`--calibration off` (generate in `randomized`, as before calibration existed) and with the default
`--calibration cover`. The two runs share their real demos and the real-only policy, which do not
depend on calibration (same demos, same seed): the second run starts from copies of them.
DEMOFORGE_BENCH_TASKS=Lift,PegInsert and DEMOFORGE_BENCH_SHIFTS=laggy,soft_arm restrict the table;
DEMOFORGE_BENCH_OUT=DIR keeps the run folders (reports). Goal per row with calibration on: real +
synthetic ≥ 80 % and ≥ +30 points over real only (issue "Real to sim")."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from demoforge.augment.data.record import CollectConfig, collect
from demoforge.augment.domain.profiles import load_profile
from demoforge.augment.generate import GenerateConfig, generate
from demoforge.augment.generate.config import laggy_source_settings
from demoforge.train.goals import uplift_goal
from demoforge.train.pipeline import run_pipeline
from demoforge.train.run_config import RunConfig

from .common import env_list, print_table

SHIFTS_DIR = Path(__file__).parent / "shifts"
SHIFTS = tuple(sorted(p.stem for p in SHIFTS_DIR.glob("*.toml")))
TASKS = ("Lift", "Stack", "PickPlace", "PegInsert")
MODES = ("off", "cover")
GOAL_MIXED, GOAL_UPLIFT = 0.80, 0.30
SHARED = ("data/real", "runs/real_only", "eval/real_only")  # what calibration does not change


def _share(first: Path, second: Path, profile: str) -> None:
    """Start `second` from `first`'s real demos and real-only policy and its evaluation."""
    for part in SHARED:
        shutil.copytree(first / part, second / part)
    done = json.loads((first / "stages.json").read_text())
    kept = ("collect real demos", "train real_only", f"evaluate real_only in {profile}")
    (second / "stages.json").write_text(json.dumps({k: done[k] for k in kept}, indent=2))


def run_shift(shift: str, task: str, root: Path) -> list[list[str]]:
    profile = str(SHIFTS_DIR / f"{shift}.toml")
    rows = []
    for k, mode in enumerate(MODES):
        out = root / shift / task / mode
        if k and not out.exists():
            _share(root / shift / task / MODES[0], out, profile)
        start = time.perf_counter()
        numbers = run_pipeline(RunConfig(task=task, profile_target=profile, calibration=mode), out, log=lambda _: None)
        arms, gen = numbers["arms"], numbers["generation"]
        real, mixed = arms["real_only"]["success_rate"], arms["real_synthetic"]["success_rate"]
        # the goal; where real only is already above 70 % no +30 is possible, and the
        # project's own rule (train/goals.py: ≥ 95 % where real only exceeds 60 %) decides instead
        met = mixed >= GOAL_MIXED and mixed - real >= GOAL_UPLIFT
        if real > 1 - GOAL_UPLIFT:
            met = uplift_goal(task, "state").met(real, mixed)
        rows.append(
            [
                shift,
                task,
                mode,
                *(
                    f"{arms[a]['successes']}/{arms[a]['episodes']}"
                    for a in ("real_only", "synthetic_only", "real_synthetic")
                ),
                f"{(mixed - real) * 100:+.0f}",
                f"{gen['success_rate']:.0%}",
                "met" if met else "not met",
                f"{time.perf_counter() - start:.0f}",
            ]
        )
        print(" | ".join(rows[-1]), flush=True)
    return rows


def main() -> None:
    tasks, shifts = env_list("DEMOFORGE_BENCH_TASKS", TASKS), env_list("DEMOFORGE_BENCH_SHIFTS", SHIFTS)
    keep = os.environ.get("DEMOFORGE_BENCH_OUT")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(keep or tmp)
        rows = [row for shift in shifts for task in tasks for row in run_shift(shift, task, root)]
    print_table(
        "uplift in development shifts (10 human-like real demos in the shift, 2000 synthetic, 50 episodes per arm "
        "in the shift, last checkpoint; calibration off: generated in randomized; cover: in randomized stretched "
        "to the calibrated domain)",
        [
            "shift",
            "task",
            "calibration",
            "real only",
            "synthetic only",
            "real + synthetic",
            "uplift",
            "kept",
            "goal",
            "s",
        ],
        rows,
    )


def generation_main() -> None:
    """`python -m benchmarks shifts_generation`: attempts kept generating 100 demos from 10
    human-like sources recorded in each shift, in `randomized` and in the shift itself (what a
    perfect calibration would generate in), with the settings `demoforge run` picks for sources of
    that latency."""
    tasks, shifts = env_list("DEMOFORGE_BENCH_TASKS", TASKS), env_list("DEMOFORGE_BENCH_SHIFTS", SHIFTS)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for shift in shifts:
            profile = str(SHIFTS_DIR / f"{shift}.toml")
            settings = laggy_source_settings(load_profile(profile).action.latency_steps[0])
            for task in tasks:
                real = Path(tmp) / shift / task / "real"
                collect(CollectConfig(task=task, episodes=10, profile=profile), real)
                row = [shift, task]
                for where in ("randomized", profile):
                    config = GenerateConfig(num=100, profile=where, max_attempts=500, **settings)
                    summary = generate(real, real.parent / Path(where).stem, config, task=task)
                    row.append(f"{summary.episodes}/{summary.attempts} = {summary.success_rate:.0%}")
                rows.append(row)
                print(" | ".join(row), flush=True)
    print_table(
        "generation kept, 100 demos from 10 human-like sources recorded in each shift",
        ["shift", "task", "generated in randomized", "generated in the shift itself"],
        rows,
    )


if __name__ == "__main__":
    main()
