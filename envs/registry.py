"""The task registry: one explicit dict, and the Gymnasium ids built from it."""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from .errors import ConfigError, UnknownNameError
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
    """The task `name` with `task_config` (an instance of the task's own config class, e.g.
    LiftConfig; None: its default). Raises ConfigError for any other kind of config."""
    known = resolve_task_name(name)
    cls, module = TASKS[known]
    default = module.default_config()
    if task_config is not None and not isinstance(task_config, type(default)):
        hint = " (a domain profile? use demoforge.make_env(task, profile))" if isinstance(task_config, str) else ""
        raise ConfigError(
            f"task_config for {known}: expected a {type(default).__name__}, got {type(task_config).__name__} "
            f"{task_config!r}{hint}"
        )
    return cls(task_config or default)


def make_task_env(
    name: str,
    task_config: Any = None,
    config: EnvConfig | None = None,
    render_mode: str | None = None,
) -> ManipulationEnv:
    """Build a bare task env (no domain profile, no Gymnasium wrappers), e.g. `make_task_env("Lift")`.
    `demoforge.make_env(task, profile)` is the public one that also runs it inside a domain profile."""
    return ManipulationEnv(make_task(name, task_config), config=config, render_mode=render_mode)


def register_gym_envs() -> None:
    """Register `demoforge/<Task>-v0` for every task (idempotent). Episode limits are enforced
    inside the env (they depend on the task config), so no TimeLimit wrapper is added. The entry
    point is a "module:callable" string and the task a JSON kwarg, so the EnvSpec serialises
    (Minari's DataCollector stores it; `recover_environment()` rebuilds the env from it)."""
    for name, gym_id in GYM_IDS.items():
        if gym_id not in gym.registry:
            gym.register(
                id=gym_id,
                entry_point=f"{__name__}:make_task_env",
                kwargs={"name": name},
                disable_env_checker=False,
            )
