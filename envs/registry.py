"""The task registry: one explicit dict, and the Gymnasium ids built from it."""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from .errors import UnknownNameError
from .manipulation_env import EnvConfig, ManipulationEnv
from .task import Task
from .tasks import lift, peg_insert, pick_place, stack

# name → (task class, module holding its config and `default_config()`)
TASKS: dict[str, tuple[type[Task], Any]] = {
    "Lift": (lift.Lift, lift),
    "Stack": (stack.Stack, stack),
    "PickPlace": (pick_place.PickPlace, pick_place),
    "PegInsert": (peg_insert.PegInsert, peg_insert),
}
GYM_IDS = {name: f"demoforge/{name}-v0" for name in TASKS}


def resolve_task_name(name: str) -> str:
    """Accept 'Lift', 'lift' or 'demoforge/Lift-v0'; raise listing the known tasks otherwise."""
    for known, gym_id in GYM_IDS.items():
        if name in (known, gym_id) or name.lower() == known.lower():
            return known
    raise UnknownNameError(f"unknown task {name!r}; known tasks: {', '.join(TASKS)}")


def make_task(name: str, task_config: Any = None) -> Task:
    cls, module = TASKS[resolve_task_name(name)]
    return cls(task_config or module.default_config())


def make_env(
    name: str,
    task_config: Any = None,
    config: EnvConfig | None = None,
    render_mode: str | None = None,
) -> ManipulationEnv:
    """Build a task env directly (no Gymnasium wrappers), e.g. `make_env("Lift")`."""
    return ManipulationEnv(make_task(name, task_config), config=config, render_mode=render_mode)


def _entry_point(task: str):
    def make(task_config: Any = None, config: EnvConfig | None = None, render_mode: str | None = None):
        return make_env(task, task_config=task_config, config=config, render_mode=render_mode)

    return make


def register_gym_envs() -> None:
    """Register `demoforge/<Task>-v0` for every task (idempotent). Episode limits are enforced
    inside the env (they depend on the task config), so no TimeLimit wrapper is added."""
    for name, gym_id in GYM_IDS.items():
        if gym_id not in gym.registry:
            gym.register(id=gym_id, entry_point=_entry_point(name), disable_env_checker=False)
