"""What every task shares: table, arm, lights, cameras. A task adds its objects.

The scene is assembled as one MJCF string and compiled once per env (`build_scene_model`); an arm
given as an MJCF file is attached to the parsed scene with `mujoco.MjSpec` (`robots/file_arm.py`).
A built-in robot's fragments stay in the string, so its compiled model (and every dataset made
with it) is byte for byte what it was. Domain randomization later edits the compiled `MjModel`
in place; it never recompiles XML.
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np

from . import textures
from .robots import DEFAULT_ROBOT, RobotDescription, get_robot
from .robots.file_arm import compile_with_arm

TABLE_TOP_Z = 0.0  # m; the world origin sits on the table surface, under the arm's base
TABLE_CENTER = (0.55, 0.0)  # m; the arm stands just behind the table edge (x = 0.1)
TABLE_HALF = (0.45, 0.6, 0.025)  # m
WORKSPACE_CENTER = np.array([0.5, 0.0, TABLE_TOP_Z])  # the robot's base pose is its description's

# name → (position, look-at point, vertical field of view in degrees)
CAMERAS = {
    "front": ((1.15, 0.0, 0.55), (0.45, 0.0, 0.08), 50.0),
    "side": ((0.5, -0.7, 0.4), (0.5, 0.0, 0.03), 50.0),
}


def camera_names(robot: str | RobotDescription = DEFAULT_ROBOT) -> tuple[str, ...]:
    """The scene's fixed cameras, then the robot's wrist camera if it has one."""
    mount = get_robot(robot).arm.wrist_camera
    return (*CAMERAS, *((mount.name,) if mount else ()))


CAMERA_NAMES = camera_names()  # the default robot's


@dataclass(frozen=True)
class SceneConfig:
    """Simulator-wide settings shared by all tasks."""

    timestep: float = 0.002  # s of physics per mj_step (500 Hz)
    offscreen_width: int = 640  # px; the largest frame any renderer of this model may ask for
    offscreen_height: int = 480  # px
    # Shadows, reflections and multisample anti-aliasing off. On a CPU (software EGL) the shadow
    # map, not the image size, dominates render cost: shadowsize 0 renders ~25× faster than
    # MuJoCo's default 4096. MSAA is the next cost: without MuJoCo's default 4 samples an 84×84
    # frame renders ~2.3× faster again (~650 → ~1,500 frames/s), its edges aliased.
    fast_render: bool = True
    # Samples per pixel of the offscreen buffer's multisample anti-aliasing (MJCF `<quality
    # offsamples>`); None: 0 under `fast_render`, MuJoCo's default 4 otherwise.
    msaa_samples: int | None = None

    def __post_init__(self) -> None:
        if not 0 < self.timestep <= 0.01:
            raise ValueError(f"SceneConfig.timestep={self.timestep} must be in (0, 0.01] s")
        if self.msaa_samples is not None and not 0 <= self.msaa_samples <= 16:
            raise ValueError(f"SceneConfig.msaa_samples={self.msaa_samples} must be None or in [0, 16]")

    @property
    def offscreen_samples(self) -> int:
        """MSAA samples per pixel the offscreen buffer is built with."""
        if self.msaa_samples is not None:
            return self.msaa_samples
        return 0 if self.fast_render else 4


def _camera_xml(name: str, pos, target, fovy: float) -> str:
    pos, target = np.asarray(pos, float), np.asarray(target, float)
    forward = target - pos
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    axes = " ".join(f"{v:.6f}" for v in (*right, *up))
    return f'<camera name="{name}" pos="{pos[0]} {pos[1]} {pos[2]}" xyaxes="{axes}" fovy="{fovy}"/>'


def build_scene_xml(
    task_name: str,
    objects_xml: str,
    config: SceneConfig,
    assets_xml: str = "",
    robot: str | RobotDescription = DEFAULT_ROBOT,
) -> str:
    """The full MJCF of a task: shared scene, `robot` at its base pose, plus the task's object bodies
    (`objects_xml`) and the assets they use (`assets_xml`: meshes)."""
    robot = get_robot(robot)
    shadow = 0 if config.fast_render else 4096
    cameras = "\n".join(_camera_xml(n, *spec) for n, spec in CAMERAS.items())
    tx, ty = TABLE_CENTER
    hx, hy, hz = TABLE_HALF
    return f"""
<mujoco model="demoforge_{task_name}">
  <compiler angle="radian" autolimits="true"/>
  <option timestep="{config.timestep}" integrator="implicitfast" cone="elliptic" impratio="10"/>
  <visual>
    <global offwidth="{config.offscreen_width}" offheight="{config.offscreen_height}"/>
    <quality shadowsize="{shadow}" offsamples="{config.offscreen_samples}"/>
    <headlight diffuse="0.5 0.5 0.5" ambient="0.3 0.3 0.3" specular="0 0 0"/>
  </visual>
  <default>
    {robot.mjcf.defaults}
    <default class="object">
      <geom contype="1" conaffinity="1" condim="4" friction="1 0.01 0.0001" solref="0.01 1"/>
    </default>
  </default>
  <asset>
    <texture name="grid" type="2d" builtin="checker" rgb1="0.55 0.45 0.35" rgb2="0.5 0.4 0.3"
             width="256" height="256"/>
    <material name="table" texture="grid" texrepeat="4 4" reflectance="0.05"/>
    <texture name="floor" type="2d" builtin="flat" rgb1="0.3 0.32 0.35" width="64" height="64"/>
    <material name="floor" texture="floor"/>
    {textures.bank_xml()}
    {assets_xml}
  </asset>
  <worldbody>
    <light name="key" pos="0.6 -0.4 1.6" dir="-0.1 0.25 -1" diffuse="0.7 0.7 0.7" castshadow="true"/>
    <light name="fill" pos="-0.3 0.6 1.4" dir="0.4 -0.4 -1" diffuse="0.3 0.3 0.3" castshadow="false"/>
    {textures.spare_lights_xml()}
    <geom name="floor" type="plane" size="2 2 0.1" pos="0 0 -0.75" material="floor"
          contype="0" conaffinity="0"/>
    <geom name="table" type="box" size="{hx} {hy} {hz}" pos="{tx} {ty} {TABLE_TOP_Z - hz}"
          material="table" contype="1" conaffinity="1" friction="1 0.005 0.0001"/>
    {cameras}
    {robot.mjcf.body_xml(robot.arm.base_pos)}
    {objects_xml}
    {textures.distractors_xml()}
  </worldbody>
  <actuator>
    {robot.mjcf.actuators_xml()}
  </actuator>
</mujoco>
"""


def build_scene_model(
    task_name: str,
    objects_xml: str,
    config: SceneConfig,
    assets_xml: str = "",
    robot: str | RobotDescription = DEFAULT_ROBOT,
) -> mujoco.MjModel:
    """`build_scene_xml` compiled: an arm file attached with MjSpec, a built-in arm from the string."""
    robot = get_robot(robot)
    xml = build_scene_xml(task_name, objects_xml, config, assets_xml, robot)
    if robot.mjcf.file is None:
        return mujoco.MjModel.from_xml_string(xml)
    return compile_with_arm(xml, robot.mjcf.file, robot.arm)
