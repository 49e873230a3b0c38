"""The headline: `demoforge run` on its defaults for every task — real only vs synthetic only vs
real + synthetic, evaluated in the target domain — plus the synthetic-only policy in its own
(generation) domain, in one table. `python -m benchmarks uplift`; DEMOFORGE_BENCH_TASKS=Lift,Stack
restricts the tasks, DEMOFORGE_BENCH_OUT=DIR keeps the run folders (reports, GIFs)."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from demoforge.train.evaluate import EvalConfig, evaluate
from demoforge.train.goals import uplift_goal
from demoforge.train.pipeline import run_pipeline
from demoforge.train.run_config import RunConfig

from .common import env_list, print_table

TASKS = ("Lift", "Stack", "PickPlace", "PegInsert")
SYNTHETIC_OWN_GOAL = 0.85  # the state goal's second half: synthetic only in its own (generation) domain


def goal_met(config: RunConfig, real: float, mixed: float, synthetic_own: float) -> bool:
    """The run's uplift goal (train/goals.py, the rule the report's verdict uses) and, on top,
    synthetic only ≥ 85 % in the domain it was generated in."""
    return uplift_goal(config.task, config.obs).met(real, mixed) and synthetic_own >= SYNTHETIC_OWN_GOAL


def _cell(arm: dict) -> str:
    lo, hi = arm["ci95"]
    return f"{arm['successes']}/{arm['episodes']} = {arm['success_rate']:.0%} [{lo:.0%}–{hi:.0%}]"


def run_task(task: str, out: Path) -> list[str]:
    start = time.perf_counter()
    config = RunConfig(task=task)
    numbers = run_pipeline(config, out, log=lambda _: None)
    own = evaluate(
        out / "runs" / "synthetic_only",
        EvalConfig(profile=config.profile_generate, episodes=config.eval_episodes, videos=0),
        out=out / "eval" / f"synthetic_only_{config.profile_generate}",
    )
    arms = numbers["arms"]
    real, mixed = arms["real_only"]["success_rate"], arms["real_synthetic"]["success_rate"]
    return [
        task,
        _cell(arms["real_only"]),
        _cell(arms["synthetic_only"]),
        _cell(arms["real_synthetic"]),
        f"{(mixed - real) * 100:+.0f}",
        _cell(own.to_json()),
        "met" if goal_met(config, real, mixed, own.success_rate) else "not met",
        f"{time.perf_counter() - start:.0f}",
    ]


def main() -> None:
    tasks = env_list("DEMOFORGE_BENCH_TASKS", TASKS)
    keep = os.environ.get("DEMOFORGE_BENCH_OUT")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(keep or tmp)
        rows = []
        for task in tasks:
            rows.append(run_task(task, root / task))
            print(f"{task}: done in {rows[-1][-1]} s", flush=True)
    print_table(
        "uplift in target (defaults: 10 human-like real demos in target, 2000 synthetic in randomized, 50 episodes per arm, last checkpoint)",
        [
            "task",
            "real only",
            "synthetic only",
            "real + synthetic",
            "uplift (points)",
            "synthetic only, in randomized",
            "goal",
            "s",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
