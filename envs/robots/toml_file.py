"""Robot TOML files: a `RobotDescription` written as data. Every error is one ConfigError line
naming the file, the line and the dotted key (`envs/toml_checks.py`).

    [robot]
    name = "my_panda"
    mjcf = "panda"            # a built-in robot's MJCF, or an MJCF file of the arm: "arm.xml",
                              # relative to this file (`file_arm.py` says what it must hold)

    [[arm]]
    joints = ["joint1", ...]  # base to wrist
    actuators = ["act_joint1", ...]
    joint_lower = [...]       # rad
    joint_upper = [...]
    home_qpos = [...]         # rad
    tcp_site = "tcp"
    base_body = "link0"
    base_pos = [-0.08, 0.0, 0.0]   # m, world frame
    tcp_home_quat = [0.0, 1.0, 0.0, 0.0]   # (w, x, y, z): gripper down

    [arm.gripper]
    finger_joints = ["finger_left", "finger_right"]
    actuators = ["act_finger_left", "act_finger_right"]
    open = 0.04
    closed = 0.0
    pad_geoms = ["pad_left", "pad_right"]

    [arm.ik]                  # optional; IKSettings' defaults
    damping = 0.05
    nullspace_gain = 0.05
    position_weight = 1.0
    orientation_weight = 1.0

    [arm.wrist_camera]        # optional
    name = "wrist"
    body = "hand"
    pos = [0.07, 0.0, 0.02]
    quat = [0.0, 1.0, 0.0, 0.0]
    fovy = 75.0
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..toml_checks import CheckedToml, load_toml
from .description import ArmDescription, CameraMount, GripperDescription, IKSettings, RobotDescription, RobotMjcf
from .file_arm import check_arm_file

_ARM = ("joints", "actuators", "joint_lower", "joint_upper", "home_qpos", "tcp_site", "base_body", "base_pos")
_ARM_OPTIONAL = ("tcp_home_quat", "gripper", "ik", "wrist_camera")
_GRIPPER = ("finger_joints", "actuators", "open", "closed", "pad_geoms")
_IK = ("damping", "nullspace_gain", "position_weight", "orientation_weight")
_CAMERA = ("name", "body", "pos", "quat", "fovy")


def _names(check: CheckedToml, value: Any, key: tuple) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise check.fail(key, f"expected a non-empty array of names, got {value!r}")
    return tuple(check.text(v, key) for v in value)


def _numbers(check: CheckedToml, value: Any, key: tuple, count: int | None = None) -> tuple[float, ...]:
    if not isinstance(value, list) or (count is not None and len(value) != count):
        want = f"an array of {count} numbers" if count is not None else "an array of numbers"
        raise check.fail(key, f"expected {want}, got {value!r}")
    return tuple(check.number(v, key) for v in value)


def _gripper(check: CheckedToml, value: Any, key: tuple) -> GripperDescription:
    g = check.table(value, key, _GRIPPER, required=_GRIPPER)
    return GripperDescription(
        finger_joints=_names(check, g["finger_joints"], (*key, "finger_joints")),
        actuators=_names(check, g["actuators"], (*key, "actuators")),
        open=check.number(g["open"], (*key, "open")),
        closed=check.number(g["closed"], (*key, "closed")),
        pad_geoms=_names(check, g["pad_geoms"], (*key, "pad_geoms")),  # type: ignore[arg-type]
    )


def _arm(check: CheckedToml, value: Any, key: tuple) -> ArmDescription:
    a = check.table(value, key, (*_ARM, *_ARM_OPTIONAL), required=(*_ARM, "gripper"))
    ik = check.table(a.get("ik", {}), (*key, "ik"), _IK)
    cam = a.get("wrist_camera")
    camera = None
    if cam is not None:
        c = check.table(cam, (*key, "wrist_camera"), _CAMERA, required=_CAMERA)
        k = (*key, "wrist_camera")
        camera = CameraMount(
            name=check.text(c["name"], (*k, "name")),
            body=check.text(c["body"], (*k, "body")),
            pos=_numbers(check, c["pos"], (*k, "pos"), 3),  # type: ignore[arg-type]
            quat=_numbers(check, c["quat"], (*k, "quat"), 4),  # type: ignore[arg-type]
            fovy=check.number(c["fovy"], (*k, "fovy"), positive=True, high=180.0),
        )
    return ArmDescription(
        joints=_names(check, a["joints"], (*key, "joints")),
        actuators=_names(check, a["actuators"], (*key, "actuators")),
        joint_lower=_numbers(check, a["joint_lower"], (*key, "joint_lower")),
        joint_upper=_numbers(check, a["joint_upper"], (*key, "joint_upper")),
        home_qpos=_numbers(check, a["home_qpos"], (*key, "home_qpos")),
        tcp_site=check.text(a["tcp_site"], (*key, "tcp_site")),
        base_body=check.text(a["base_body"], (*key, "base_body")),
        base_pos=_numbers(check, a["base_pos"], (*key, "base_pos"), 3),  # type: ignore[arg-type]
        tcp_home_quat=_numbers(check, a.get("tcp_home_quat", [0.0, 1.0, 0.0, 0.0]), (*key, "tcp_home_quat"), 4),  # type: ignore[arg-type]
        gripper=_gripper(check, a["gripper"], (*key, "gripper")),
        ik=IKSettings(**{name: check.number(v, (*key, "ik", name)) for name, v in ik.items()}),
        wrist_camera=camera,
    )


def _arm_file(check: CheckedToml, path: Path, source: str, builtins: Mapping[str, RobotDescription]) -> Path | None:
    """The arm's MJCF file `mjcf` names (relative to the TOML file), or None for a built-in's MJCF."""
    if source in builtins:
        return None
    if not source.lower().endswith(".xml"):
        raise check.fail(
            ("robot", "mjcf"), f"unknown robot {source!r}; known: {', '.join(builtins)} (or an MJCF file, arm.xml)"
        )
    arm_file = (path.parent / source).resolve()
    if not arm_file.is_file():
        raise check.fail(("robot", "mjcf"), f"no MJCF file {arm_file}")
    return arm_file


def read_robot_file(path: Path, builtins: Mapping[str, RobotDescription]) -> RobotDescription:
    """The robot a TOML file describes (module docstring), its MJCF that of the robot `mjcf` names
    in `builtins` (the registry); ConfigError names file, line and key."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"robot file {path}: no such file")
    data, check = load_toml(path)
    check.table(data, (), ("robot", "arm"), required=("robot", "arm"))
    head = check.table(data["robot"], ("robot",), ("name", "mjcf"), required=("name", "mjcf"))
    source = check.text(head["mjcf"], ("robot", "mjcf"))
    arm_file = _arm_file(check, path, source, builtins)
    arms = data["arm"]
    if not isinstance(arms, list):
        raise check.fail(("arm",), "expected one or more [[arm]] tables")
    try:
        described = tuple(_arm(check, a, ("arm", i)) for i, a in enumerate(arms))
        if arm_file is not None:
            try:
                check_arm_file(arm_file, described[0])
            except ConfigError as exc:
                raise check.fail(("robot", "mjcf"), str(exc)) from None
        return RobotDescription(
            name=check.text(head["name"], ("robot", "name")),
            arms=described,
            mjcf=builtins[source].mjcf if arm_file is None else RobotMjcf(file=str(arm_file)),
            origin=str(path),
        )
    except ConfigError as exc:
        if str(exc).startswith(str(path)):
            raise
        raise ConfigError(f"{path}: {exc}") from None
