"""The robot a dataset was made with (meta/info.json `robot`, `RobotDescription.layout()`): the robot
replay and generation run (`source_robot`), and the one-line refusal to mix datasets whose robots'
layouts do not fit: their `joint_pos` / `joint_vel` / `gripper_qpos` widths differ, so one policy
cannot read both. Data without the key (imports, datasets older than the key) is the default
robot's for replay and generation, and fits anything when mixed: nothing says otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...envs.robots import DEFAULT_ROBOT, ROBOTS, get_robot, register_robot, resolve_robot_name
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
            f"{where}: made with robot {name!r}, which is not registered here (give --robot its .toml file where the verb takes one, "
            f"or register_robot it first); "
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


def check_robot_fits(recorded: dict[str, Any] | None, robot: str, where: str) -> None:
    """Raise DatasetError (one line) when registered robot `robot` does not fit data recorded with
    the layout `recorded` (other arm or finger joint counts); data that records none fits."""
    if recorded is None:
        return
    layout = get_robot(robot).layout()
    if _widths(layout) != _widths(recorded):
        (a, b), (c, d) = _widths(recorded), _widths(layout)
        raise DatasetError(
            f"{where}: made with robot {recorded.get('name')!r} ({a} arm joints, {b} finger joints); robot "
            f"{robot!r} ({c} arm joints, {d} finger joints) does not fit it"
        )


def chosen_robot(info: dict[str, Any], robot: str | None, where: str) -> str:
    """The robot a verb runs on data `info` describes: `robot` (a name or a robot .toml file) when
    given, checked to fit the data (`check_robot_fits`); else the one that made it (`source_robot`)."""
    if robot is None:
        return source_robot(info, where)
    name = resolve_robot_name(robot)
    check_robot_fits(recorded_robot(info), name, where)
    return name


def trained_robot(roots: list[str | Path], robot: str | None) -> dict[str, Any]:
    """The robot a policy trained on `roots` is for, as its checkpoint records it: the layout
    (`RobotDescription.layout()`) plus `file`, the robot .toml it was read from (None when built in
    or registered in code), so evaluation in a fresh process can load it. `robot` (a name or a
    .toml file) when given, checked to fit every dataset; else the robot the data records (the
    default robot where none does). The datasets must fit each other (`check_same_robot`)."""
    check_same_robot(roots)
    recorded = None
    for root in roots:
        with Dataset(root) as ds:
            recorded = recorded or recorded_robot(ds.info)
            if robot is not None:
                check_robot_fits(recorded_robot(ds.info), resolve_robot_name(robot), f"dataset {root}")
    if robot is not None:
        description = get_robot(resolve_robot_name(robot))
        return {**description.layout(), "file": description.origin}
    if recorded is None:
        return {**get_robot(DEFAULT_ROBOT).layout(), "file": None}
    name = recorded.get("name")
    known = ROBOTS[name] if isinstance(name, str) and name in ROBOTS else None
    return {**recorded, "file": known.origin if known is not None and known.layout() == recorded else None}


def checkpoint_robot(recorded: Any, robot: str | None, where: str) -> str:
    """The registered robot a checkpoint is evaluated on: `robot` (a name or a .toml file) when
    given, checked to fit the robot the checkpoint records (`trained_robot`); else that robot, read
    from its recorded .toml file when not registered here. Checkpoints that record none are the
    default robot's. DatasetError (one line) when it does not fit or cannot be found."""
    layout = {k: v for k, v in recorded.items() if k != "file"} if isinstance(recorded, dict) else None
    if robot is not None:
        name = resolve_robot_name(robot)
        check_robot_fits(layout, name, where)
        return name
    if layout is None:
        return DEFAULT_ROBOT
    name, file = layout.get("name"), recorded.get("file")
    if isinstance(name, str) and name not in ROBOTS and isinstance(file, str) and Path(file).is_file():
        register_robot(file)
    if not isinstance(name, str) or name not in ROBOTS:
        raise DatasetError(
            f"{where}: trained for robot {name!r}, which is not registered here (pass --robot with its .toml file); "
            f"known: {ROBOTS.known()}"
        )
    check_robot_fits(layout, name, where)
    return name
