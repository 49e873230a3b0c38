"""The cost of domain randomization, measured side by side with the nominal domain.

step/s      — env.step through the wrapper on the same expert actions, nominal vs `randomized`
              (sensor noise, latency queue, action noise included).
reset ms    — one reset, nominal vs randomized (model edits, exact restore, mj_setConst).
overhead    — extra reset time as a share of a whole randomized episode (target < 5 %).
render fps  — an 84×84 front-camera frame under visual randomization, fast vs full rendering.
"""

from __future__ import annotations

import time

import numpy as np
from demoforge.augment.domain.wrapper import DomainRandomizationWrapper
from demoforge.envs import TASKS, EnvConfig, make_task_env
from demoforge.envs.scene import SceneConfig

from .common import best_rate, expert_episodes, print_table

EPISODES = 5


def _timed(env, episodes) -> tuple[float, float]:
    """(steps per second, mean reset seconds) replaying `episodes` through `env`."""
    reset_time, steps, step_time = 0.0, 0, 0.0
    for seed, actions in episodes:
        t0 = time.perf_counter()
        env.reset(seed=seed)
        t1 = time.perf_counter()
        for a in actions:
            env.step(a)
        reset_time += t1 - t0
        step_time += time.perf_counter() - t1
        steps += len(actions)
    return steps / step_time, reset_time / len(episodes)


def _render_fps(fast: bool) -> float:
    cfg = EnvConfig(scene=SceneConfig(fast_render=fast))
    env = DomainRandomizationWrapper(make_task_env("Lift", config=cfg), "randomized")
    base = env.unwrapped

    def run() -> int:
        for seed in range(10):
            env.reset(seed=seed)
            for _ in range(3):
                base.render_camera("front", 84, 84)
        return 30

    return best_rate(run, repeats=2)


def main() -> None:
    rows = []
    for name in TASKS:
        episodes = [(seed, actions) for seed, actions, _ in expert_episodes(name, EPISODES)]
        best = {}
        for profile in ("nominal", "randomized"):
            env = DomainRandomizationWrapper(make_task_env(name), profile)
            runs = [_timed(env, episodes) for _ in range(3)]
            best[profile] = (max(r[0] for r in runs), min(r[1] for r in runs))
        steps_per_episode = np.mean([len(a) for _, a in episodes])
        episode_time = best["randomized"][1] + steps_per_episode / best["randomized"][0]
        overhead = (best["randomized"][1] - best["nominal"][1]) / episode_time
        rows.append(
            [
                name,
                f"{best['nominal'][0]:,.0f}",
                f"{best['randomized'][0]:,.0f}",
                f"{best['nominal'][1] * 1e3:.2f}",
                f"{best['randomized'][1] * 1e3:.2f}",
                f"{overhead:.1%}",
            ]
        )
    print_table(
        "domain randomization cost (expert episodes replayed through the wrapper)",
        [
            "task",
            "step/s nominal",
            "step/s randomized",
            "reset ms nominal",
            "reset ms randomized",
            "reset overhead / episode",
        ],
        rows,
    )
    fast, full = _render_fps(True), _render_fps(False)
    print_table(
        "rendering, 84×84 front camera, visual randomization on (Lift)",
        ["setting", "frames/s"],
        [
            ["fast_render=True (no shadows/reflections/MSAA)", f"{fast:,.0f}"],
            ["fast_render=False (shadowsize 4096, 4× MSAA)", f"{full:,.0f}"],
        ],
    )


if __name__ == "__main__":
    main()
