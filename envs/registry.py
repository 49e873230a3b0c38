"""The task registry: the one source of task names, whose Gymnasium ids follow from it.

`TASKS` holds the four built-in tasks, the tasks registered at run time (`register_task`) and those
pip-installed packages declare as entry points in group `demoforge.tasks` (`plugins.py`). A task
file (`path/to/task.toml`, `task_file.py`) given where a task name is expected registers its task
under the file's `name` at run time, so it reaches worker processes as any run-time registration;
a file with a `[[recipe]]` registers its scripted expert (`recipe_expert.py`) the same way.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import gymnasium as gym

from .errors import ConfigError, UnknownNameError
from .experts import EXPERTS
from .file_task import file_task_class
from .manipulation_env import EnvConfig, ManipulationEnv
from .plugins import Registry
from .recipe_expert import recipe_phases
from .task import Task
from .task_file import read_task_file
from .tasks import lift, peg_insert, pick_place, stack

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")  # a Gymnasium id's name part: no '-', '/' or ':'


class TaskEntry(NamedTuple):
    """A registered task: its class and the function giving its default config (an instance of the
    config class the task takes, e.g. LiftConfig)."""

    task: type[Task]
    default_config: Callable[[], Any]

    @property
    def origin(self) -> str | None:
        """Where the task comes from when its class says (a task file's path), else None."""
        return getattr(self.task, "origin", None)


def gym_id(name: str) -> str:
    """The Gymnasium id of task `name`: `demoforge/<name>-v0`."""
    return f"demoforge/{name}-v0"


def _task_entry(name: str, obj: Any) -> TaskEntry:
    """`obj` (a Task subclass or a TaskEntry) as the entry of task `name`; its default config is
    the `default_config()` beside the class in its module unless the entry gives one."""
    entry = obj if isinstance(obj, TaskEntry) else TaskEntry(obj, None)  # type: ignore[arg-type]
    cls = entry.task
    if not (isinstance(cls, type) and issubclass(cls, Task)):
        raise ConfigError(f"task {name!r}: expected a subclass of demoforge.envs.Task, got {cls!r}")
    if not _NAME.fullmatch(name):
        raise ConfigError(f"task name {name!r}: expected a letter, then letters, digits or '_'")
    if cls.name != name:
        raise ConfigError(f"task {name!r}: {cls.__qualname__}.name is {cls.name!r}; they must be equal")
    default = entry.default_config or getattr(sys.modules.get(cls.__module__), "default_config", None)
    if not callable(default):
        raise ConfigError(
            f"task {name!r}: no default config: pass default_config=, or define default_config() in {cls.__module__}"
        )
    return TaskEntry(cls, default)


def _register_gym_id(name: str, _entry: Any = None) -> None:
    """Register `demoforge/<name>-v0` (idempotent). Episode limits are enforced inside the env (they
    depend on the task config), so no TimeLimit wrapper is added. The entry point is a
    "module:callable" string and the task a JSON kwarg, so the EnvSpec serialises (Minari's
    DataCollector stores it; `recover_environment()` rebuilds the env from it)."""
    if gym_id(name) not in gym.registry:
        gym.register(
            id=gym_id(name),
            entry_point=f"{__name__}:make_task_env",
            kwargs={"name": name},
            disable_env_checker=False,
        )


# name → TaskEntry (built-ins; `register_task` and entry points add to it)
TASKS: Registry[TaskEntry] = Registry(
    "demoforge.tasks",
    "task",
    {
        "Lift": TaskEntry(lift.Lift, lift.default_config),
        "Stack": TaskEntry(stack.Stack, stack.default_config),
        "PickPlace": TaskEntry(pick_place.PickPlace, pick_place.default_config),
        "PegInsert": TaskEntry(peg_insert.PegInsert, peg_insert.default_config),
    },
    check=_task_entry,
    adder="demoforge.register_task",
    on_add=_register_gym_id,
)


def register_task(task: type[Task], default_config: Callable[[], Any] | None = None) -> None:
    """Add `task` (a Task subclass) under `task.name`, in this process and in the worker processes
    demoforge starts from it; `gymnasium.make("demoforge/<name>-v0")` then finds it too.
    `default_config` gives its default config (default: `default_config()` in the class's module).
    Raises ConfigError for a built-in name, a name that is not `task.name`, or no default config."""
    TASKS.add(getattr(task, "name", ""), TaskEntry(task, default_config))  # type: ignore[arg-type]


# (resolved path, mtime, size) → the task name it registered: every lookup of a path reads it once
_FILES: dict[tuple[str, int, int], str] = {}


def register_task_file(path: str | os.PathLike) -> str:
    """Read the task file at `path`, register its task under the file's `name` (in this process and
    the workers demoforge starts from it), and its recipe's scripted expert if it has one, and return
    that name. Reading the same unchanged file
    again returns the name without reading it. Raises ConfigError naming the file, line and key."""
    resolved = Path(path).resolve()
    stat = resolved.stat()
    key = (str(resolved), stat.st_mtime_ns, stat.st_size)
    if key not in _FILES or _FILES[key] not in TASKS:
        cls = file_task_class(read_task_file(resolved))
        try:
            TASKS.add(cls.name, TaskEntry(cls, cls.default_config))
        except ConfigError as exc:
            raise ConfigError(f"{resolved}, name: {exc}") from None
        if cls.spec.recipe:  # its scripted expert, carried to workers as any run-time registration
            EXPERTS.add(cls.name, recipe_phases)
        _FILES[key] = cls.name
    return _FILES[key]


def is_task_file(name: str) -> bool:
    """Whether `name` means a task file: a path ending in .toml."""
    return str(name).lower().endswith(".toml")


def resolve_task_name(name: str) -> str:
    """Accept 'Lift', 'lift', 'demoforge/Lift-v0', or a task file's path (`path/to/task.toml`, which
    registers its task: `register_task_file`); raise listing the known tasks otherwise."""
    if is_task_file(name):
        if not Path(name).is_file():
            raise UnknownNameError(f"task file {name!r} does not exist (a task name or a path to a .toml task file)")
        return register_task_file(name)
    if name in TASKS:
        return name
    for known in TASKS:
        if name in (known, gym_id(known)) or name.lower() == known.lower():
            return known
    raise UnknownNameError(f"unknown task {name!r}; known tasks: {TASKS.known()}")


def make_task(name: str, task_config: Any = None) -> Task:
    """The task `name` with `task_config` (an instance of the task's own config class, e.g.
    LiftConfig; None: its default). Raises ConfigError for any other kind of config."""
    known = resolve_task_name(name)
    cls, default_config = TASKS[known]
    default = default_config()
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
    """Register `demoforge/<Task>-v0` for every task known now (idempotent): built-ins, run-time
    ones and installed plugins (by name: a plugin loads when its env is made)."""
    for name in TASKS:
        if _NAME.fullmatch(name):  # a plugin's bad name is its one-line error when it is used, not here
            _register_gym_id(name)
