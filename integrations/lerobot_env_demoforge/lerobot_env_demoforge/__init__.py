"""demoforge's tasks as a LeRobot env plugin.

Importing the package registers one gym id per demoforge task, `lerobot_env_demoforge/<Task>`
(`lerobot_env_demoforge/Stack`), which is the id LeRobot builds from the config's `package_name`
and `--env.task`. The `demoforge` env config (`configuration_demoforge`) registers itself with
LeRobot when lerobot is importable; without it the gym ids still work.
"""

from __future__ import annotations

import importlib.util

import gymnasium as gym
from demoforge.envs import TASKS

PACKAGE = __name__  # lerobot's EnvConfig.package_name: the namespace of the gym ids below


def gym_id(task: str) -> str:
    return f"{PACKAGE}/{task}"


for _task in TASKS:
    if gym_id(_task) not in gym.registry:
        # order_enforce=False: lerobot 0.4 asks `hasattr(env, "task_description")` of each sub-env,
        # which gymnasium's OrderEnforcing wrapper would hide. The env ends its own episodes (the
        # task's step limit), so no TimeLimit either: gym.make returns the env itself.
        gym.register(
            id=gym_id(_task),
            entry_point=f"{PACKAGE}.env:make_env",
            kwargs={"task": _task},
            order_enforce=False,
            disable_env_checker=True,
        )

if importlib.util.find_spec("lerobot") is not None:
    from . import configuration_demoforge as configuration_demoforge  # noqa: F401  registers "demoforge"
