"""The robot a dataset was made with (meta/info.json `robot`, `RobotDescription.layout()`): the robot
replay and generation run (`source_robot`), and the one-line refusal to mix datasets whose robots'
layouts do not fit: their `joint_pos` / `joint_vel` / `gripper_qpos` widths differ, so one policy
cannot read both. Data without the key (imports, datasets older than the key) is the default
robot's for replay and generation, and fits anything when mixed: nothing says otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...envs.robots import DEFAULT_ROBOT, ROBOTS
from .dataset import Dataset
from .safety import DatasetError


def recorded_robot(info: dict[str, Any]) -> dict[str, Any] | None:
    """info.json's `robot` layout, or None when the dataset does not say."""
    robot = info.get("robot")
    return robot if isinstance(robot, dict) else None


def source_robot(info: dict[str, Any], where: str) -> str:
    """The registered robot that made a dataset (its info.json), the default robot when it does not
    say. DatasetError (one line) when that robot is not registered in this process, or is
    registered with another joint layout than the data was recorded with."""
    recorded = recorded_robot(info)
    if recorded is None:
        return DEFAULT_ROBOT
    name = recorded.get("name")
    if not isinstance(name, str) or name not in ROBOTS:
        raise DatasetError(
            f"{where}: made with robot {name!r}, which is not registered here (register_robot it first); "
            f"known: {ROBOTS.known()}"
        )
    if ROBOTS[name].layout() != recorded:
        raise DatasetError(f"{where}: robot {name!r} is registered with another joint layout than the data records")
    return name


def _widths(robot: dict[str, Any]) -> tuple[int, int]:
    return len(robot.get("arm_joints") or ()), len(robot.get("finger_joints") or ())


def check_same_robot(roots: list[str | Path]) -> None:
    """Raise DatasetError (one line naming both datasets and robots) when two of `roots` recorded
    robots with different arm or finger joint counts."""
    first: tuple[Path, dict[str, Any]] | None = None
    for root in roots:
        with Dataset(root) as ds:
            robot = recorded_robot(ds.info)
        if robot is None:
            continue
        if first is None:
            first = (Path(root), robot)
        elif _widths(robot) != _widths(first[1]):
            (a, b), (c, d) = _widths(first[1]), _widths(robot)
            raise DatasetError(
                f"dataset {root}: robot {robot.get('name')!r} ({c} arm joints, {d} finger joints) does not fit "
                f"dataset {first[0]}'s robot {first[1].get('name')!r} ({a} arm joints, {b} finger joints)"
            )
