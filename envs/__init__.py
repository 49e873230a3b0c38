"""MuJoCo scenes and Gymnasium manipulation tasks, with scripted experts.

Knows nothing of datasets or training. Importing it registers `demoforge/<Task>-v0` ids.
"""

import os

# Headless by default: an offscreen EGL context works without a display. Must be set before
# mujoco is imported; a user's own MUJOCO_GL wins.
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("MUJOCO_GL", "egl")

from .errors import (  # noqa: E402
    ConfigError,
    DemoforgeError,
    InvalidActionError,
    UnknownNameError,
    validation_summary,
)
from .manipulation_env import EnvConfig, ManipulationEnv  # noqa: E402
from .plugins import WORKER_ENDED, PluginError, carry_registrations, spawned_pool  # noqa: E402
from .registry import (  # noqa: E402
    TASKS,
    TaskEntry,
    gym_id,
    is_task_file,
    make_task,
    make_task_env,
    register_gym_envs,
    register_task,
    register_task_file,
    resolve_task_name,
)
from .task import Subtask, Task  # noqa: E402

register_gym_envs()

__all__ = [
    "ConfigError",
    "DemoforgeError",
    "EnvConfig",
    "InvalidActionError",
    "ManipulationEnv",
    "PluginError",
    "Subtask",
    "TASKS",
    "Task",
    "TaskEntry",
    "UnknownNameError",
    "carry_registrations",
    "spawned_pool",
    "WORKER_ENDED",
    "gym_id",
    "is_task_file",
    "make_task_env",
    "make_task",
    "register_gym_envs",
    "register_task",
    "register_task_file",
    "resolve_task_name",
    "validation_summary",
]
