"""Small shared pieces of the benchmark scripts: timing and table printing."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable

from rich.console import Console
from rich.table import Table


def best_rate(fn: Callable[[], int], repeats: int = 3) -> float:
    """Items per second of `fn` (which returns how many items it did), best of `repeats`: the
    least disturbed run on a noisy machine."""
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        n = fn()
        best = max(best, n / (time.perf_counter() - start))
    return best


def env_list(var: str, default) -> list[str]:
    """The comma-separated names in environment variable `var` (DEMOFORGE_BENCH_TASKS=Lift,Stack),
    else `default`."""
    return [x for x in os.environ.get(var, ",".join(default)).split(",") if x]


def print_table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    table = Table(title=title, caption=f"{platform.node()} · {platform.processor() or platform.machine()}")
    for c in columns:
        table.add_column(c, justify="right" if c != columns[0] else "left")
    for row in rows:
        table.add_row(*row)
    Console(width=160).print(table)


def expert_episodes(name: str, count: int, robot: str | None = None) -> list[tuple[int, list, list]]:
    """(seed, actions, physics states before each action) of `count` clean expert episodes of
    task `name` with `robot` (None: the default) in the nominal domain: the workload replayed by the
    speed benchmarks."""
    import numpy as np
    from demoforge.envs import EnvConfig, make_task_env
    from demoforge.envs.experts import make_expert

    env = make_task_env(name, config=EnvConfig() if robot is None else EnvConfig(robot=robot))
    episodes = []
    for seed in range(count):
        env.reset(seed=seed)
        expert = make_expert(env)
        expert.reset(np.random.default_rng(seed))
        actions, states = [], []
        for _ in range(env.task.max_episode_steps):
            states.append((env.data.qpos.copy(), env.data.qvel.copy(), env.data.ctrl.copy()))
            actions.append(expert.act(env))
            *_, term, trunc, _ = env.step(actions[-1])
            if term or trunc:
                break
        episodes.append((seed, actions, states))
    return episodes
