"""The robot registry: built-in robots, run-time registrations (`register_robot`) and entry points
in group `demoforge.robots`, alike the task registry (`envs/registry.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ConfigError, UnknownNameError
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


def is_robot_file(name: str | Path) -> bool:
    """Whether `name` means a robot TOML file: a path ending in .toml."""
    return str(name).lower().endswith(".toml")


def resolve_robot_name(name: str | Path | RobotDescription) -> str:
    """The registered name `name` means: a robot's name, a description, or a robot TOML file's path
    (which registers its robot, as a task file registers its task). UnknownNameError lists the known
    robots; a bad file is one ConfigError line naming file, line and key."""
    if isinstance(name, RobotDescription):
        return name.name
    if is_robot_file(name):
        if not Path(name).is_file():
            raise UnknownNameError(f"robot file {str(name)!r} does not exist (a robot name or a path to a .toml file)")
        return register_robot(name).name
    return get_robot(str(name)).name
