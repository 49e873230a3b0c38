"""The built-in Panda-like arm (`PANDA`, the default robot): MJCF fragments, constants, description.

Kinematics, joint limits, masses and gains follow the public Franka numbers (modified-DH body
offsets as in MuJoCo Menagerie's panda.xml; see shared/REFERENCES.md §1). Collision geometry is
deliberately minimal: only the hand and the two finger pads collide, and only with the world,
never with the arm itself. That keeps `mj_step` fast (no self-collision pairs to test) and the
links are never near the objects during the tasks we model.
"""

from __future__ import annotations

import numpy as np

from .description import ArmDescription, CameraMount, GripperDescription, IKSettings, RobotDescription, RobotMjcf

ARM_JOINTS = tuple(f"joint{i}" for i in range(1, 8))
FINGER_JOINTS = ("finger_left", "finger_right")

# Franka joint limits (rad), franka_ros joint_limits.yaml.
JOINT_LOWER = np.array([-2.8973, -1.7628, -2.8973, -3.0718, -2.8973, -0.0175, -2.8973])
JOINT_UPPER = np.array([2.8973, 1.7628, 2.8973, -0.0698, 2.8973, 3.7525, 2.8973])
# Position-servo stiffness (N·m/rad) and torque limits (N·m) are Menagerie panda.xml's. Its damping
# (kv = kp/10) is heavily overdamped: the arm covers only ~35 % of a commanded step within one
# 50 ms control period. kp/40 is near critical and covers ~90 %, so an ee_delta action means
# roughly what it says, with no overshoot (measured in tests/envs/test_controller.py).
JOINT_KP = np.array([4500, 4500, 3500, 3500, 2000, 2000, 2000], dtype=float)
JOINT_KV = JOINT_KP / 40.0
JOINT_TORQUE = np.array([87, 87, 87, 87, 12, 12, 12], dtype=float)

FINGER_MAX = 0.04  # m of travel per finger (0.08 m total opening)
FINGER_KP = 1000.0  # N/m; the force limit below, not the gain, sets the grip force
FINGER_FORCE = 20.0  # N per finger at full close
TCP_OFFSET = 0.1034  # m along hand z from the flange-side hand origin to the tool centre point
# Base 0.58 m behind the workspace centre (envs/scene.py): the upper arm then leans forward over the
# whole workspace, away from the q2 = 0 posture where joints 1 and 3 align (a singularity).
BASE_POS = (-0.08, 0.0, 0.0)
WRIST_CAMERA = CameraMount("wrist", "hand", (0.07, 0.0, 0.02), (0.0, 1.0, 0.0, 0.0), 75.0)

# Gripper pointing straight down, fingers closing along world y: the pose all experts start from.
HOME_QPOS = np.array([0.0, 0.1741, 0.0, -2.0552, 0.0, 2.2297, 0.7854])  # TCP at (0.5, 0, 0.25)
# The TCP orientation at HOME_QPOS, 180° about world x (w, x, y, z). Stored and observed TCP
# quaternions take the sign nearer it (`geometry.quat_near`): every gripper-down orientation the
# tasks reach (any yaw within ±180° of home, modest tilt) then reads continuously, the same in
# every episode, while w ≥ 0 flipped sign at w ≈ 0 — which is exactly gripper-down.
TCP_HOME_QUAT = np.array([0.0, 1.0, 0.0, 0.0])

# (mass kg, CoM, diagonal inertia) per link, Menagerie panda.xml (products of inertia dropped).
_INERTIA = {
    "link0": (0.629769, (-0.041018, -0.00014, 0.049974), (0.00315, 0.00388, 0.004285)),
    "link1": (4.970684, (0.003875, 0.002081, -0.04762), (0.70337, 0.70661, 0.009117)),
    "link2": (0.646926, (-0.003141, -0.02872, 0.003495), (0.007962, 0.02811, 0.025995)),
    "link3": (3.228604, (0.027518, 0.039252, -0.066502), (0.037242, 0.036155, 0.01083)),
    "link4": (3.587895, (-0.05317, 0.104419, 0.027454), (0.025853, 0.019552, 0.028323)),
    "link5": (1.225946, (-0.011953, 0.041065, -0.038437), (0.035549, 0.029474, 0.008627)),
    "link6": (1.666555, (0.060149, -0.014117, -0.010517), (0.001964, 0.004354, 0.005433)),
    "link7": (0.735522, (0.010517, -0.004252, 0.061597), (0.012516, 0.010027, 0.004815)),
    "hand": (0.73, (-0.01, 0.0, 0.03), (0.001, 0.0025, 0.0017)),
}


def _inertial(body: str) -> str:
    mass, com, diag = _INERTIA[body]
    return f'<inertial mass="{mass}" pos="{com[0]} {com[1]} {com[2]}" diaginertia="{diag[0]} {diag[1]} {diag[2]}"/>'


def _fmt(values) -> str:
    return " ".join(f"{v:.6g}" for v in values)


DEFAULTS_XML = """
<default class="panda">
  <joint armature="0.1" damping="1" axis="0 0 1"/>
  <geom contype="0" conaffinity="0" group="1" rgba="0.92 0.92 0.95 1" type="capsule" size="0.055"/>
  <default class="panda_dark"><geom rgba="0.25 0.25 0.28 1"/></default>
  <default class="finger">
    <joint type="slide" axis="0 1 0" range="0 0.04" armature="0.01" damping="5"/>
    <geom type="box" contype="1" conaffinity="1" condim="4" group="3" friction="1.5 0.02 0.0001"
          solref="0.01 1" solimp="0.95 0.99 0.001" rgba="0.2 0.2 0.2 1" priority="1"/>
  </default>
</default>
"""


def arm_body_xml(base_pos=BASE_POS) -> str:
    """The arm's kinematic tree. Link frames are Menagerie's; capsules join joint origins."""
    lo, hi = JOINT_LOWER, JOINT_UPPER
    return f"""
<body name="link0" pos="{_fmt(base_pos)}" childclass="panda">
  {_inertial("link0")}
  <geom class="panda_dark" type="cylinder" size="0.07 0.07" pos="0 0 0.07"/>
  <body name="link1" pos="0 0 0.333" gravcomp="1">
    {_inertial("link1")}
    <joint name="joint1" range="{lo[0]} {hi[0]}"/>
    <geom fromto="0 0 -0.2 0 0 -0.05"/>
    <body name="link2" quat="1 -1 0 0" gravcomp="1">
      {_inertial("link2")}
      <joint name="joint2" range="{lo[1]} {hi[1]}"/>
      <geom fromto="0 0 -0.06 0 0 0.06"/><geom fromto="0 0 0 0 -0.2 0"/>
      <body name="link3" pos="0 -0.316 0" quat="1 1 0 0" gravcomp="1">
        {_inertial("link3")}
        <joint name="joint3" range="{lo[2]} {hi[2]}"/>
        <geom fromto="0 0 -0.12 0.0825 0 0" size="0.05"/>
        <body name="link4" pos="0.0825 0 0" quat="1 1 0 0" gravcomp="1">
          {_inertial("link4")}
          <joint name="joint4" range="{lo[3]} {hi[3]}"/>
          <geom class="panda_dark" fromto="0 0 -0.05 0 0 0.05" size="0.052"/>
          <geom fromto="0 0 0 -0.0825 0.2 0" size="0.05"/>
          <body name="link5" pos="-0.0825 0.384 0" quat="1 -1 0 0" gravcomp="1">
            {_inertial("link5")}
            <joint name="joint5" range="{lo[4]} {hi[4]}"/>
            <geom fromto="0 0 -0.25 0 0 -0.02" size="0.045"/>
            <body name="link6" quat="1 1 0 0" gravcomp="1">
              {_inertial("link6")}
              <joint name="joint6" range="{lo[5]} {hi[5]}"/>
              <geom class="panda_dark" fromto="0 0 -0.04 0 0 0.04" size="0.045"/>
              <geom fromto="0 0 0 0.088 0 0" size="0.04"/>
              <body name="link7" pos="0.088 0 0" quat="1 1 0 0" gravcomp="1">
                {_inertial("link7")}
                <joint name="joint7" range="{lo[6]} {hi[6]}"/>
                <geom class="panda_dark" fromto="0 0 -0.02 0 0 0.09" size="0.04"/>
                <body name="hand" pos="0 0 0.107" quat="0.9238795 0 0 -0.3826834" gravcomp="1">
                  {_inertial("hand")}
                  <geom name="hand_palm" type="box" size="0.025 0.1 0.025" pos="0 0 0.03"
                        contype="1" conaffinity="1" group="1"/>
                  <site name="tcp" pos="0 0 {TCP_OFFSET}" size="0.005" rgba="1 0 0 0.5" group="4"/>
                  {WRIST_CAMERA.xml()}
                  <body name="finger_left" pos="0 0 0.0584" gravcomp="1">
                    <inertial mass="0.015" pos="0 0.01 0.03" diaginertia="2e-6 2e-6 1e-6"/>
                    <joint name="finger_left" class="finger"/>
                    <geom class="panda_dark" type="box" size="0.01 0.007 0.02" pos="0 0.013 0.02"/>
                    <geom name="pad_left" class="finger" size="0.009 0.005 0.0125" pos="0 0.006 0.045"/>
                  </body>
                  <body name="finger_right" pos="0 0 0.0584" quat="0 0 0 1" gravcomp="1">
                    <inertial mass="0.015" pos="0 0.01 0.03" diaginertia="2e-6 2e-6 1e-6"/>
                    <joint name="finger_right" class="finger"/>
                    <geom class="panda_dark" type="box" size="0.01 0.007 0.02" pos="0 0.013 0.02"/>
                    <geom name="pad_right" class="finger" size="0.009 0.005 0.0125" pos="0 0.006 0.045"/>
                  </body>
                </body>
              </body>
            </body>
          </body>
        </body>
      </body>
    </body>
  </body>
</body>
"""


def actuator_name(joint: str) -> str:
    """Name of the servo driving `joint`."""
    return f"act_{joint}"


def actuators_xml() -> str:
    """Joint position servos (force = kp·(ctrl − q) − kv·q̇) and one servo per finger.

    `general` with an affine bias is used instead of `<position kv=...>` because it reads the
    same on every MuJoCo version we support.
    """
    lines = []
    for i, name in enumerate(ARM_JOINTS):
        kp, kv, tau = JOINT_KP[i], JOINT_KV[i], JOINT_TORQUE[i]
        lines.append(
            f'<general name="{actuator_name(name)}" joint="{name}" gainprm="{kp}" biastype="affine" '
            f'biasprm="0 {-kp} {-kv}" ctrlrange="{JOINT_LOWER[i]} {JOINT_UPPER[i]}" '
            f'forcerange="{-tau} {tau}"/>'
        )
    for name in FINGER_JOINTS:
        lines.append(
            f'<general name="{actuator_name(name)}" joint="{name}" gainprm="{FINGER_KP}" biastype="affine" '
            f'biasprm="0 {-FINGER_KP} -10" ctrlrange="0 {FINGER_MAX}" '
            f'forcerange="{-FINGER_FORCE} {FINGER_FORCE}"/>'
        )
    return "\n".join(lines)


PANDA = RobotDescription(
    name="panda",
    arms=(
        ArmDescription(
            joints=ARM_JOINTS,
            actuators=tuple(actuator_name(j) for j in ARM_JOINTS),
            joint_lower=tuple(JOINT_LOWER.tolist()),
            joint_upper=tuple(JOINT_UPPER.tolist()),
            tcp_site="tcp",
            base_body="link0",
            base_pos=BASE_POS,
            home_qpos=tuple(HOME_QPOS.tolist()),
            tcp_home_quat=tuple(TCP_HOME_QUAT.tolist()),
            gripper=GripperDescription(
                finger_joints=FINGER_JOINTS,
                actuators=tuple(actuator_name(j) for j in FINGER_JOINTS),
                open=FINGER_MAX,
                closed=0.0,
                pad_geoms=("pad_left", "pad_right"),
            ),
            ik=IKSettings(damping=0.05, nullspace_gain=0.05),
            wrist_camera=WRIST_CAMERA,
        ),
    ),
    mjcf=RobotMjcf(defaults=DEFAULTS_XML, body=arm_body_xml, actuators=actuators_xml),
)
