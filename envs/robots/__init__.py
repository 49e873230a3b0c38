"""Robots: the description every layer reads (`description.py`), the built-in Panda (`panda.py`),
robot TOML files (`toml_file.py`) and the registry (`registry.py`). Only this folder names a robot's
joints, servos, sites or geoms, or counts them."""

from .description import ArmDescription, CameraMount, GripperDescription, IKSettings, RobotDescription, RobotMjcf
from .registry import (
    DEFAULT_ROBOT,
    ROBOTS,
    get_robot,
    is_robot_file,
    load_robot,
    register_robot,
    resolve_robot_name,
)

__all__ = [
    "ArmDescription",
    "CameraMount",
    "DEFAULT_ROBOT",
    "GripperDescription",
    "IKSettings",
    "ROBOTS",
    "RobotDescription",
    "RobotMjcf",
    "get_robot",
    "is_robot_file",
    "load_robot",
    "register_robot",
    "resolve_robot_name",
]
