"""Scripted expert success over 100 seeds per task, clean and human-like (the "real" demo style)."""

from __future__ import annotations

import time

from demoforge.envs import TASKS, make_task_env
from demoforge.envs.experts import ExpertConfig, run_expert_episode

from .common import print_table

SEEDS = range(100)


def main() -> None:
    rows = []
    for name in TASKS:
        env = make_task_env(name)
        row = [name]
        for cfg in (ExpertConfig(), ExpertConfig(human_like=True)):
            start = time.perf_counter()
            results = [run_expert_episode(env, s, cfg) for s in SEEDS]
            elapsed = time.perf_counter() - start
            wins = sum(ok for ok, _ in results)
            mean_len = sum(n for _, n in results) / len(results)
            row += [f"{wins}/{len(SEEDS)}", f"{mean_len:.0f}", f"{len(results) / elapsed:.0f}"]
        rows.append(row)
    print_table(
        "scripted experts, nominal domain, 100 seeds",
        ["task", "clean success", "steps", "episodes/s", "human-like success", "steps", "episodes/s"],
        rows,
    )


if __name__ == "__main__":
    main()
