"""An arm given as an MJCF file (`RobotMjcf.file`), composed into a task's scene with `mujoco.MjSpec`.

The scene's own MJCF (table, cameras, lights, the task's objects) is parsed into a spec, and the
arm's file is attached to a frame at the arm's `base_pos` (`MjSpec.attach(child, frame=...)`,
present since MuJoCo 3.3 and unchanged in 4.0), so the file keeps its own `<compiler>` settings,
default classes and actuators, and nothing is joined as text. The arm's names stay as the file
writes them (empty prefix): the robot TOML names joints, servos, sites and geoms as in its file.

The file's contract (docs, "Use your robot"): one `<mujoco>` document whose `<worldbody>` holds
the arm's base body at the origin (the frame places it), and whose `<actuator>` lists the arm's
joint servos then its gripper's finger servos (`ctrl` order). The wrist camera of the TOML is
added here, to the body it names.
"""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path

import mujoco

from ..errors import ConfigError
from .description import ArmDescription

# MuJoCo 4 warns that an empty prefix may keep a spec from being *saved* as XML; demoforge only
# compiles it, and the TOML's names are the file's own, so the warning says nothing here.
_EMPTY_PREFIX = "empty prefix"


@contextlib.contextmanager
def _quiet_empty_prefix():
    """MuJoCo's empty-prefix warning (C and Python, at attach and at compile) left unsaid; any other
    warning is said as MuJoCo would have said it."""
    said: list[str] = []
    before = mujoco.get_mju_user_warning()
    mujoco.set_mju_user_warning(said.append)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=f".*{_EMPTY_PREFIX}")
            yield
    finally:
        mujoco.set_mju_user_warning(before)
        for message in said:
            if _EMPTY_PREFIX not in message:
                warnings.warn(f"MuJoCo: {message}", stacklevel=3)


def read_arm_spec(path: str | Path) -> mujoco.MjSpec:
    """The arm file's spec; ConfigError (one line naming the file) when MuJoCo cannot read it."""
    try:
        return mujoco.MjSpec.from_file(str(path))
    except (ValueError, OSError) as exc:
        first = (str(exc).splitlines() or [""])[0]
        raise ConfigError(f"arm file {path}: MuJoCo cannot read it: {first}") from None


def attach_arm(scene: mujoco.MjSpec, path: str | Path, arm: ArmDescription) -> None:
    """Attach the arm in MJCF file `path` to `scene` at `arm.base_pos`, with `arm`'s wrist camera."""
    child = read_arm_spec(path)
    frame = scene.worldbody.add_frame(pos=list(arm.base_pos))
    scene.attach(child, frame=frame, prefix="")
    mount = arm.wrist_camera
    if mount is not None:
        body = scene.body(mount.body)
        if body is None:
            raise ConfigError(f"arm file {path}: no body {mount.body!r} for the wrist camera {mount.name!r}")
        body.add_camera(name=mount.name, pos=list(mount.pos), quat=list(mount.quat), fovy=mount.fovy)


def compile_with_arm(scene_xml: str, path: str | Path, arm: ArmDescription) -> mujoco.MjModel:
    """The scene `scene_xml` (with no arm in it) compiled with the arm of file `path` attached."""
    scene = mujoco.MjSpec.from_string(scene_xml)
    try:
        with _quiet_empty_prefix():
            attach_arm(scene, path, arm)
            return scene.compile()
    except ValueError as exc:
        first = (str(exc).splitlines() or [""])[0]
        raise ConfigError(f"arm file {path}: the scene with this arm does not compile: {first}") from None


def check_arm_file(path: str | Path, arm: ArmDescription) -> None:
    """Every name `arm` gives is in the file, of the right kind, and its servos come in `ctrl`
    order: else one ConfigError line naming the file and the name (said when the TOML is read, not
    when an env is first built)."""
    spec = read_arm_spec(path)
    try:
        model = spec.compile()
    except ValueError as exc:
        first = (str(exc).splitlines() or [""])[0]
        raise ConfigError(f"arm file {path}: does not compile on its own: {first}") from None
    kinds = {
        "joint": (mujoco.mjtObj.mjOBJ_JOINT, (*arm.joints, *arm.gripper.finger_joints)),
        "actuator": (mujoco.mjtObj.mjOBJ_ACTUATOR, (*arm.actuators, *arm.gripper.actuators)),
        "site": (mujoco.mjtObj.mjOBJ_SITE, (arm.tcp_site,)),
        "geom": (mujoco.mjtObj.mjOBJ_GEOM, arm.gripper.pad_geoms),
        "body": (mujoco.mjtObj.mjOBJ_BODY, (arm.base_body, *((arm.wrist_camera.body,) if arm.wrist_camera else ()))),
    }
    for kind, (obj, names) in kinds.items():
        for name in names:
            if mujoco.mj_name2id(model, obj, name) < 0:
                raise ConfigError(f"arm file {path}: no {kind} named {name!r} (the robot file names it)")
    servos = [*arm.actuators, *arm.gripper.actuators]
    order = [model.actuator(i).name for i in range(model.nu)]
    if order[: len(servos)] != servos:
        raise ConfigError(
            f"arm file {path}: <actuator> lists {order}; expected the arm's servos then the gripper's, {servos}"
        )
    if model.body(arm.base_body).parentid[0] != 0:
        raise ConfigError(f"arm file {path}: base body {arm.base_body!r} must be a child of <worldbody>")
