"""The built-in UR5e-class arm with a 2F-85-class gripper (`UR5E`): MJCF fragments, constants, description.

Written here as Python fragments, like `panda.py`, rather than shipped as an MJCF file plus a robot
TOML: the joint names, limits, gains, home pose and gripper travel below are each written once and
read by both the MJCF and the description, where a file and a TOML would each spell them again.

Kinematics are the public UR5e DH parameters (d1 = 0.1625, a2 = −0.425, a3 = −0.3922, d4 = 0.1333,
d5 = 0.0997, d6 = 0.0996 m), laid out in MuJoCo Menagerie's ur5e.xml body frames (its shoulder and
elbow side offsets, 0.138 and −0.131 m, with the wrist's made up to d4), its base turned 180° about
z as Menagerie's is: the world frame at the base is then UR's base frame, and joint angles read as a
real UR5e's do (so `demoforge import --robot ur5e` puts the TCP where the real one was). Masses are
Universal Robots' published UR5e values; centres of mass and inertias are Menagerie's, scaled to
those masses.

Simplifications, all deliberate:
- Collision is the Panda's choice: only the gripper's palm and two pads collide, and only with the
  world; the links are capsules for the eye.
- The gripper keeps a 2F-85's 85 mm stroke, length and pad size, but its two fingers slide
  straight (a position servo each), where the real one has a four-bar linkage per finger driven by
  one motor, whose pads sweep an arc and close flat. The grasp test reads the two pads, as it
  does the Panda's.
"""

from __future__ import annotations

import numpy as np

from .description import ArmDescription, CameraMount, GripperDescription, IKSettings, RobotDescription, RobotMjcf

ARM_JOINTS = ("shoulder_pan", "shoulder_lift", "elbow", "wrist_1", "wrist_2", "wrist_3")
FINGER_JOINTS = ("ur5e_finger_left", "ur5e_finger_right")

# UR5e DH (m), Universal Robots' published kinematics; A2, A3 are the lengths (UR writes a2, a3 < 0).
D1, A2, A3, D4, D5, D6 = 0.1625, 0.425, 0.3922, 0.1333, 0.0997, 0.0996
SHOULDER_SIDE, ELBOW_SIDE = 0.138, -0.131  # Menagerie's link offsets along the joint axes
WRIST_SIDE = D4 - SHOULDER_SIDE - ELBOW_SIDE  # the rest of d4, at wrist 1

# ±2π on every joint but the elbow (±π), as the UR5e's controller allows.
JOINT_LOWER = np.array([-2 * np.pi, -2 * np.pi, -np.pi, -2 * np.pi, -2 * np.pi, -2 * np.pi])
JOINT_UPPER = -JOINT_LOWER
# Torque limits (N·m): UR5e's size-3 joints 150, size-1 wrist joints 28 (Menagerie's forceranges).
JOINT_TORQUE = np.array([150, 150, 150, 28, 28, 28], dtype=float)
# Stiffness (N·m/rad), tuned as the Panda's: stiff enough that a 5 cm TCP step is ~90 % covered
# within one 50 ms control period, kv near critical (no overshoot). Menagerie's 2000/500 with
# kv = kp/5 cover far less of a step per period (overdamped), as Menagerie's Panda gains did.
JOINT_KP = np.array([4500, 4500, 3500, 1500, 1500, 1500], dtype=float)
JOINT_KV = JOINT_KP / 40.0

FINGER_MAX = 0.0425  # m of travel per finger: the 2F-85's 85 mm stroke
FINGER_KP = 1000.0  # N/m; the force limit sets the grip force
FINGER_FORCE = 25.0  # N per finger; the 2F-85 grips with 20–235 N, kept near the low end as the Panda's
HAND_LENGTH = 0.14  # m from the flange to the pad centres: the 2F-85's coupling, body and fingertips
TCP_OFFSET = HAND_LENGTH  # the TCP sits between the pad centres

# Base at the origin, 0.1 m behind the table edge and 0.5 m from the workspace centre: the wrist
# reaches the whole workspace with the elbow up, well inside the 0.85 m reach.
BASE_POS = (0.0, 0.0, 0.0)
WRIST_CAMERA = CameraMount("wrist", "ur5e_hand", (0.07, 0.0, 0.02), (0.0, 1.0, 0.0, 0.0), 75.0)

# Home: the TCP at HOME_TCP, gripper pointing down, fingers closing along world y (as the Panda's);
# elbow up, wrist 2 at −π/2 (away from the wrist singularity at 0). Solved by IK on this model
# (the pan is π, the base turned, less 0.27 rad taking up d4's side offset).
HOME_TCP = (0.5, 0.0, 0.25)
HOME_QPOS = np.array([2.8717, -1.5651, 1.8174, -1.8231, -1.5708, -1.8407])
TCP_HOME_QUAT = np.array([0.0, 1.0, 0.0, 0.0])  # 180° about world x, as the Panda's

# (mass kg, CoM, diagonal inertia kg·m²): masses UR's, CoM and inertia Menagerie's scaled to them.
_MENAGERIE = {
    "ur5e_base": (4.0, (0, 0, 0), (0.00443333156, 0.00443333156, 0.0072)),
    "shoulder_link": (3.7, (0, 0, 0), (0.0102675, 0.0102675, 0.00666)),
    "upper_arm_link": (8.393, (0, 0, 0.2125), (0.133886, 0.133886, 0.0151074)),
    "forearm_link": (2.275, (0, 0, 0.196), (0.0311796, 0.0311796, 0.004095)),
    "wrist_1_link": (1.219, (0, 0.127, 0), (0.0025599, 0.0025599, 0.0021942)),
    "wrist_2_link": (1.219, (0, 0, 0.1), (0.0025599, 0.0025599, 0.0021942)),
    "wrist_3_link": (0.1879, (0, 0.0771, 0), (0.000132134, 0.000132134, 0.000179582)),
}
MASSES = {
    "ur5e_base": 4.0,
    "shoulder_link": 3.761,
    "upper_arm_link": 8.058,
    "forearm_link": 2.846,
    "wrist_1_link": 1.37,
    "wrist_2_link": 1.3,
    "wrist_3_link": 0.365,
}


def _inertial(body: str) -> str:
    mass0, com, diag = _MENAGERIE[body]
    mass = MASSES[body]
    d = [v * mass / mass0 for v in diag]
    return f'<inertial mass="{mass}" pos="{_fmt(com)}" diaginertia="{_fmt(d)}"/>'


def _fmt(values) -> str:
    return " ".join(f"{v:.6g}" for v in values)


DEFAULTS_XML = """
<default class="ur5e">
  <joint armature="0.1" damping="1" axis="0 1 0"/>
  <geom contype="0" conaffinity="0" group="1" rgba="0.49 0.68 0.8 1" type="capsule" size="0.045"/>
  <default class="ur5e_dark"><geom rgba="0.12 0.12 0.14 1"/></default>
  <default class="ur5e_finger">
    <joint type="slide" axis="0 1 0" range="0 0.0425" armature="0.01" damping="5"/>
    <geom type="box" contype="1" conaffinity="1" condim="4" group="3" friction="1.5 0.02 0.0001"
          solref="0.01 1" solimp="0.95 0.99 0.001" rgba="0.2 0.2 0.2 1" priority="1"/>
  </default>
</default>
"""


def _finger(name: str, quat: str) -> str:
    # Finger body at the palm's face; the pad's inner face is 1 mm off the centre line when closed.
    return f"""
<body name="{name}" pos="0 0 0.09" quat="{quat}" gravcomp="1">
  <inertial mass="0.03" pos="0 0.012 0.03" diaginertia="4e-6 4e-6 2e-6"/>
  <joint name="{name}" class="ur5e_finger"/>
  <geom class="ur5e_dark" type="box" size="0.011 0.008 0.022" pos="0 0.016 0.022"/>
  <geom name="{name}_pad" class="ur5e_finger" size="0.011 0.005 0.0125" pos="0 0.006 {HAND_LENGTH - 0.09:.4f}"/>
</body>"""


def arm_body_xml(base_pos=BASE_POS) -> str:
    """The arm's kinematic tree in Menagerie's frames; capsules join joint origins."""
    lo, hi = JOINT_LOWER, JOINT_UPPER
    r = [f'range="{lo[i]:.6f} {hi[i]:.6f}"' for i in range(6)]
    return f"""
<body name="ur5e_base" pos="{_fmt(base_pos)}" quat="0 0 0 -1" childclass="ur5e">
  {_inertial("ur5e_base")}
  <geom class="ur5e_dark" type="cylinder" size="0.075 0.045" pos="0 0 0.045"/>
  <body name="shoulder_link" pos="0 0 {D1}" gravcomp="1">
    {_inertial("shoulder_link")}
    <joint name="shoulder_pan" axis="0 0 1" {r[0]}/>
    <geom fromto="0 0 -0.07 0 0 0.05" size="0.06"/>
    <body name="upper_arm_link" pos="0 {SHOULDER_SIDE} 0" quat="1 0 1 0" gravcomp="1">
      {_inertial("upper_arm_link")}
      <joint name="shoulder_lift" {r[1]}/>
      <geom class="ur5e_dark" fromto="0 -0.06 0 0 0.06 0" size="0.06"/>
      <geom fromto="0 0 0 0 0 {A2}" size="0.055"/>
      <body name="forearm_link" pos="0 {ELBOW_SIDE} {A2}" gravcomp="1">
        {_inertial("forearm_link")}
        <joint name="elbow" {r[2]}/>
        <geom class="ur5e_dark" fromto="0 -0.05 0 0 0.06 0" size="0.05"/>
        <geom fromto="0 0 0 0 0 {A3}" size="0.04"/>
        <body name="wrist_1_link" pos="0 0 {A3}" quat="1 0 1 0" gravcomp="1">
          {_inertial("wrist_1_link")}
          <joint name="wrist_1" {r[3]}/>
          <geom class="ur5e_dark" fromto="0 -0.04 0 0 {WRIST_SIDE:.4f} 0" size="0.04"/>
          <body name="wrist_2_link" pos="0 {WRIST_SIDE:.4f} 0" gravcomp="1">
            {_inertial("wrist_2_link")}
            <joint name="wrist_2" axis="0 0 1" {r[4]}/>
            <geom class="ur5e_dark" fromto="0 0 -0.04 0 0 {D5}" size="0.04"/>
            <body name="wrist_3_link" pos="0 0 {D5}" gravcomp="1">
              {_inertial("wrist_3_link")}
              <joint name="wrist_3" {r[5]}/>
              <geom fromto="0 -0.035 0 0 {D6} 0" size="0.04"/>
              <body name="ur5e_hand" pos="0 {D6} 0" quat="1 -1 0 0" gravcomp="1">
                <inertial mass="0.925" pos="0 0 0.05" diaginertia="0.0012 0.0012 0.0008"/>
                <geom class="ur5e_dark" type="cylinder" size="0.038 0.03" pos="0 0 0.03"/>
                <geom name="ur5e_palm" type="box" size="0.02 0.05 0.015" pos="0 0 0.075"
                      contype="1" conaffinity="1" group="1" rgba="0.12 0.12 0.14 1"/>
                <site name="ur5e_tcp" pos="0 0 {TCP_OFFSET}" size="0.005" rgba="1 0 0 0.5" group="4"/>
                {WRIST_CAMERA.xml()}
                {_finger("ur5e_finger_left", "1 0 0 0")}
                {_finger("ur5e_finger_right", "0 0 0 1")}
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
    return f"ur5e_act_{joint}"


def actuators_xml() -> str:
    """Joint position servos (force = kp·(ctrl − q) − kv·q̇) and one servo per finger, written as the Panda's."""
    lines = []
    for i, name in enumerate(ARM_JOINTS):
        kp, kv, tau = JOINT_KP[i], JOINT_KV[i], JOINT_TORQUE[i]
        lines.append(
            f'<general name="{actuator_name(name)}" joint="{name}" gainprm="{kp}" biastype="affine" '
            f'biasprm="0 {-kp} {-kv}" ctrlrange="{JOINT_LOWER[i]:.6f} {JOINT_UPPER[i]:.6f}" '
            f'forcerange="{-tau} {tau}"/>'
        )
    for name in FINGER_JOINTS:
        lines.append(
            f'<general name="{actuator_name(name)}" joint="{name}" gainprm="{FINGER_KP}" biastype="affine" '
            f'biasprm="0 {-FINGER_KP} -10" ctrlrange="0 {FINGER_MAX}" '
            f'forcerange="{-FINGER_FORCE} {FINGER_FORCE}"/>'
        )
    return "\n".join(lines)


UR5E = RobotDescription(
    name="ur5e",
    arms=(
        ArmDescription(
            joints=ARM_JOINTS,
            actuators=tuple(actuator_name(j) for j in ARM_JOINTS),
            joint_lower=tuple(JOINT_LOWER.tolist()),
            joint_upper=tuple(JOINT_UPPER.tolist()),
            tcp_site="ur5e_tcp",
            base_body="ur5e_base",
            base_pos=BASE_POS,
            home_qpos=tuple(HOME_QPOS.tolist()),
            tcp_home_quat=tuple(TCP_HOME_QUAT.tolist()),
            gripper=GripperDescription(
                finger_joints=FINGER_JOINTS,
                actuators=tuple(actuator_name(j) for j in FINGER_JOINTS),
                open=FINGER_MAX,
                closed=0.0,
                pad_geoms=tuple(f"{f}_pad" for f in FINGER_JOINTS),
            ),
            # Six joints: no null space to pull in, so the pull only acts through the damping.
            ik=IKSettings(damping=0.05, nullspace_gain=0.05),
            wrist_camera=WRIST_CAMERA,
        ),
    ),
    mjcf=RobotMjcf(defaults=DEFAULTS_XML, body=arm_body_xml, actuators=actuators_xml),
)
