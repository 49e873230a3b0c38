"""Raw physics vs `env.step`, per built-in robot, measured side by side on the same expert trajectories.

Every registered robot (or those in DEMOFORGE_BENCH_ROBOTS=panda,ur5e) on every task (or those in
DEMOFORGE_BENCH_TASKS): a robot's env.step is compared with its own physics limit, since its
collision geometry and joint count set what one mj_step costs.

raw mj_step/s  — the scene's physics alone, stepped from states recorded along expert episodes
                 (so contacts and grasps are included), no Python per substep.
control limit  — raw / substeps per control step: the most env.steps/s any wrapper could reach.
env.step/s     — our full step (validation, IK, physics, observation, signals) replaying the same
                 actions; with a camera it also renders an 84×84 frame with fast rendering. The
                 camera env is reset once before timing: creating its renderer (GL context, ~0.1 s,
                 once per env) is not a per-step cost.
84² frames/s   — that camera's 84×84 frame alone (`render_camera`: scene update, render, read
                 back) at the same recorded states, no physics: the rendering half of the step.
"""

from __future__ import annotations

from collections.abc import Callable

import mujoco
from demoforge.envs import TASKS, EnvConfig, make_task_env
from demoforge.envs.robots import ROBOTS

from .common import best_rate, env_list, expert_episodes, print_table

EPISODES = 5


def measure(name: str, robot: str) -> dict[str, float]:
    env, episodes = make_task_env(name, config=EnvConfig(robot=robot)), expert_episodes(name, EPISODES, robot)
    m, d = env.model, env.data

    def raw() -> int:
        n = 0
        for _, _, states in episodes:
            for qpos, qvel, ctrl in states:
                d.qpos[:], d.qvel[:], d.ctrl[:] = qpos, qvel, ctrl
                mujoco.mj_step(m, d, nstep=env.n_substeps)
                n += env.n_substeps
        return n

    def replay(e) -> Callable[[], int]:
        def run() -> int:
            n = 0
            for seed, actions, _ in episodes:
                e.reset(seed=seed)
                for a in actions:
                    e.step(a)
                n += len(actions)
            return n

        return run

    camera_env = make_task_env(name, config=EnvConfig(robot=robot, cameras=("front",), image_size=(84, 84)))
    camera_env.reset(seed=0)  # creates the renderer
    raw_rate = best_rate(raw)
    limit = raw_rate / env.n_substeps
    env_rate = best_rate(replay(env))
    cam_rate = best_rate(replay(camera_env))
    cm, cd = camera_env.model, camera_env.data

    def frames() -> int:
        n = 0
        for _, _, states in episodes:
            for qpos, _, _ in states:
                cd.qpos[:] = qpos
                mujoco.mj_kinematics(cm, cd)
                camera_env.render_camera("front", 84, 84)
                n += 1
        return n

    return {"raw": raw_rate, "limit": limit, "env": env_rate, "camera": cam_rate, "frames": best_rate(frames)}


def main() -> None:
    rows = []
    for robot in env_list("DEMOFORGE_BENCH_ROBOTS", list(ROBOTS)):
        for name in env_list("DEMOFORGE_BENCH_TASKS", TASKS):
            r = measure(name, robot)
            rows.append(
                [
                    robot,
                    name,
                    f"{r['raw']:,.0f}",
                    f"{r['limit']:,.0f}",
                    f"{r['env']:,.0f}",
                    f"{r['env'] / r['limit']:.0%}",
                    f"{r['camera']:,.0f}",
                    f"{r['frames']:,.0f}",
                ]
            )
    print_table(
        "env.step vs raw physics (20 Hz control, 2 ms physics step, 25 substeps)",
        [
            "robot",
            "task",
            "raw mj_step/s",
            "control limit/s",
            "env.step/s",
            "env / limit",
            "env.step/s +84² camera",
            "84² frames/s",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
