"""The robot registry: built-in robots, run-time registrations (`register_robot`) and entry points
in group `demoforge.robots`, alike the task registry (`envs/registry.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..plugins import Registry
from .description import RobotDescription
from .panda import PANDA
from .toml_file import read_robot_file

DEFAULT_ROBOT = PANDA.name  # every env, dataset and checkpoint that names no robot


def _check(name: str, obj: Any) -> RobotDescription:
    if not isinstance(obj, RobotDescription):
        raise ConfigError(f"robot {name!r}: expected a demoforge RobotDescription, got {type(obj).__name__}")
    if obj.name != name:
        raise ConfigError(f"robot registered as {name!r} is named {obj.name!r}: register it under its own name")
    return obj


ROBOTS: Registry[RobotDescription] = Registry(
    "demoforge.robots", "robot", {PANDA.name: PANDA}, _check, "register_robot"
)


def register_robot(robot: RobotDescription | str | Path) -> RobotDescription:
    """Add `robot` (a description, or the path of a robot TOML file) under its name, in this process
    and in the worker processes demoforge starts from it; returns the description. Raises
    ConfigError for a built-in name or a file with an error (one line naming file, line and key)."""
    if not isinstance(robot, RobotDescription):
        robot = load_robot(robot)
    return ROBOTS.add(robot.name, robot)


def load_robot(path: str | Path) -> RobotDescription:
    """The robot a TOML file describes (`toml_file.py`), without registering it."""
    return read_robot_file(Path(path), ROBOTS)


def get_robot(name: str | RobotDescription) -> RobotDescription:
    """The registered robot `name` (a description is returned as it is); UnknownNameError lists the known."""
    return name if isinstance(name, RobotDescription) else ROBOTS[name]
