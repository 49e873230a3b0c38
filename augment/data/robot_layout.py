"""The robot a dataset was made with (meta/info.json `robot`, `RobotDescription.layout()`), and the
one-line refusal to mix datasets whose robots' layouts do not fit: their `joint_pos` / `joint_vel` /
`gripper_qpos` widths differ, so one policy cannot read both. Data without the key (imports,
datasets older than the key) fits anything: nothing says otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .dataset import Dataset
from .safety import DatasetError


def recorded_robot(info: dict[str, Any]) -> dict[str, Any] | None:
    """info.json's `robot` layout, or None when the dataset does not say."""
    robot = info.get("robot")
    return robot if isinstance(robot, dict) else None


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
