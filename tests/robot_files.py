"""Robot files for tests: the built-in Panda written out as a TOML file, with keys of `[[arm]]`
overridden; and an arm that is not built in, as an MJCF file plus its robot TOML (`write_arm6`)."""

from pathlib import Path

from demoforge.envs.robots import get_robot

PANDA = get_robot("panda")


def panda_toml(name: str = "my_panda", **arm_overrides) -> str:
    """A robot TOML file describing the built-in Panda (the module docstring's format)."""
    arm, g, ik, cam = PANDA.arm, PANDA.arm.gripper, PANDA.arm.ik, PANDA.arm.wrist_camera

    def v(x):
        return "[" + ", ".join(repr(e) if isinstance(e, str) else repr(float(e)) for e in x) + "]"

    fields = {
        "joints": v(arm.joints),
        "actuators": v(arm.actuators),
        "joint_lower": v(arm.joint_lower),
        "joint_upper": v(arm.joint_upper),
        "home_qpos": v(arm.home_qpos),
        "tcp_site": repr(arm.tcp_site),
        "base_body": repr(arm.base_body),
        "base_pos": v(arm.base_pos),
        "tcp_home_quat": v(arm.tcp_home_quat),
        **arm_overrides,
    }
    lines = ["[robot]", f'name = "{name}"', 'mjcf = "panda"', "", "[[arm]]"]
    lines += [f"{k} = {val}".replace("'", '"') for k, val in fields.items()]
    lines += ["", "[arm.gripper]", f"finger_joints = {v(g.finger_joints)}", f"actuators = {v(g.actuators)}"]
    lines += [f"open = {g.open}", f"closed = {g.closed}", f"pad_geoms = {v(g.pad_geoms)}"]
    lines += ["", "[arm.ik]", f"damping = {ik.damping}", f"nullspace_gain = {ik.nullspace_gain}"]
    lines += ["", "[arm.wrist_camera]", f'name = "{cam.name}"', f'body = "{cam.body}"']
    lines += [f"pos = {v(cam.pos)}", f"quat = {v(cam.quat)}", f"fovy = {cam.fovy}"]
    return "\n".join(lines).replace("'", '"') + "\n"


# A small 6-joint arm that is not built in: base yaw, three pitch joints (shoulder 0.42 m and forearm
# 0.38 m links, unlike the Panda's 0.316 / 0.384 m with offsets), a sideways wrist tilt and a tool
# roll; a parallel 2-finger gripper with pad geoms; primitive geoms; position servos. Only the palm
# and the pads collide (as the Panda's), so stepping stays fast.
ARM6_XML = """\
<mujoco model="arm6">
  <compiler angle="radian" autolimits="true"/>
  <default>
    <default class="arm6">
      <joint axis="0 1 0" armature="0.05" damping="1"/>
      <geom type="capsule" size="0.04" contype="0" conaffinity="0" rgba="0.8 0.5 0.2 1"/>
      <position kp="1500" kv="40" forcerange="-80 80"/>
      <default class="arm6_wrist">
        <position kp="400" kv="10" forcerange="-15 15"/>
      </default>
      <default class="arm6_finger">
        <joint type="slide" axis="0 1 0" range="0 0.04" armature="0.01" damping="5"/>
        <geom type="box" contype="1" conaffinity="1" condim="4" friction="1.5 0.02 0.0001"
              solref="0.01 1" solimp="0.95 0.99 0.001" priority="1" rgba="0.2 0.2 0.2 1"/>
        <position kp="1000" kv="10" ctrlrange="0 0.04" forcerange="-20 20"/>
      </default>
    </default>
  </default>
  <worldbody>
    <body name="arm6_base" childclass="arm6">
      <inertial mass="4" pos="0 0 0.05" diaginertia="0.02 0.02 0.02"/>
      <geom type="cylinder" size="0.07 0.05" pos="0 0 0.05"/>
      <body name="arm6_link1" pos="0 0 0.1" gravcomp="1">
        <inertial mass="3" pos="0 0 0.1" diaginertia="0.02 0.02 0.01"/>
        <joint name="a6_j1" axis="0 0 1" range="-3.1 3.1"/>
        <geom fromto="0 0 0 0 0 0.2"/>
        <body name="arm6_link2" pos="0 0 0.2" gravcomp="1">
          <inertial mass="2.5" pos="0 0 0.21" diaginertia="0.04 0.04 0.005"/>
          <joint name="a6_j2" range="-1.8 1.8"/>
          <geom fromto="0 0 0 0 0 0.42"/>
          <body name="arm6_link3" pos="0 0 0.42" gravcomp="1">
            <inertial mass="1.8" pos="0 0 0.19" diaginertia="0.025 0.025 0.003"/>
            <joint name="a6_j3" range="0 2.8"/>
            <geom fromto="0 0 0 0 0 0.38" size="0.035"/>
            <body name="arm6_link4" pos="0 0 0.38" gravcomp="1">
              <inertial mass="0.8" pos="0 0 0.03" diaginertia="0.002 0.002 0.001"/>
              <joint name="a6_j4" range="-0.5 2.8"/>
              <geom fromto="0 0 0 0 0 0.05" size="0.03"/>
              <body name="arm6_link5" pos="0 0 0.05" gravcomp="1">
                <inertial mass="0.6" pos="0 0 0.02" diaginertia="0.001 0.001 0.001"/>
                <joint name="a6_j5" axis="1 0 0" range="-1.6 1.6"/>
                <geom fromto="0 0 0 0 0 0.04" size="0.03"/>
                <body name="arm6_link6" pos="0 0 0.04" gravcomp="1">
                  <inertial mass="0.5" pos="0 0 0.03" diaginertia="0.001 0.001 0.001"/>
                  <joint name="a6_j6" axis="0 0 1" range="-3.1 3.1"/>
                  <body name="arm6_hand" pos="0 0 0.03" gravcomp="1">
                    <inertial mass="0.4" pos="0 0 0.02" diaginertia="0.0005 0.0005 0.0005"/>
                    <geom name="arm6_palm" type="box" size="0.02 0.08 0.015" pos="0 0 0.015"
                          contype="1" conaffinity="1"/>
                    <site name="arm6_tcp" pos="0 0 0.1" size="0.005" group="4"/>
                    <body name="arm6_finger_l" pos="0 0 0.03" gravcomp="1">
                      <inertial mass="0.02" pos="0 0.01 0.03" diaginertia="2e-6 2e-6 1e-6"/>
                      <joint name="a6_finger_l" class="arm6_finger"/>
                      <geom type="box" size="0.008 0.006 0.03" pos="0 0.012 0.03" contype="0" conaffinity="0"/>
                      <geom name="arm6_pad_l" class="arm6_finger" size="0.009 0.005 0.0125" pos="0 0.006 0.07"/>
                    </body>
                    <body name="arm6_finger_r" pos="0 0 0.03" quat="0 0 0 1" gravcomp="1">
                      <inertial mass="0.02" pos="0 0.01 0.03" diaginertia="2e-6 2e-6 1e-6"/>
                      <joint name="a6_finger_r" class="arm6_finger"/>
                      <geom type="box" size="0.008 0.006 0.03" pos="0 0.012 0.03" contype="0" conaffinity="0"/>
                      <geom name="arm6_pad_r" class="arm6_finger" size="0.009 0.005 0.0125" pos="0 0.006 0.07"/>
                    </body>
                  </body>
                </body>
              </body>
            </body>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <position name="a6_s1" joint="a6_j1" ctrlrange="-3.1 3.1" class="arm6"/>
    <position name="a6_s2" joint="a6_j2" ctrlrange="-1.8 1.8" class="arm6"/>
    <position name="a6_s3" joint="a6_j3" ctrlrange="0 2.8" class="arm6"/>
    <position name="a6_s4" joint="a6_j4" ctrlrange="-0.5 2.8" class="arm6_wrist"/>
    <position name="a6_s5" joint="a6_j5" ctrlrange="-1.6 1.6" class="arm6_wrist"/>
    <position name="a6_s6" joint="a6_j6" ctrlrange="-3.1 3.1" class="arm6_wrist"/>
    <position name="a6_grip_l" joint="a6_finger_l" class="arm6_finger"/>
    <position name="a6_grip_r" joint="a6_finger_r" class="arm6_finger"/>
  </actuator>
</mujoco>
"""

# Home: the planar three-pitch chain solved (elbow up) for the TCP at (0.5, 0, 0.25) pointing down;
# 180° about y is then the TCP's orientation (its x axis points to world -x, unlike the Panda's).
ARM6_TOML = """\
[robot]
name = "arm6"
mjcf = "arm6.xml"

[[arm]]
joints = ["a6_j1", "a6_j2", "a6_j3", "a6_j4", "a6_j5", "a6_j6"]
actuators = ["a6_s1", "a6_s2", "a6_s3", "a6_s4", "a6_s5", "a6_s6"]
joint_lower = [-3.1, -1.8, 0.0, -0.5, -1.6, -3.1]
joint_upper = [3.1, 1.8, 2.8, 2.8, 1.6, 3.1]
home_qpos = [0.0, 0.5505578, 1.5375822, 1.0534527, 0.0, 0.0]
tcp_site = "arm6_tcp"
base_body = "arm6_base"
base_pos = [-0.05, 0.0, 0.0]
tcp_home_quat = [0.0, 0.0, 1.0, 0.0]

[arm.gripper]
finger_joints = ["a6_finger_l", "a6_finger_r"]
actuators = ["a6_grip_l", "a6_grip_r"]
open = 0.04
closed = 0.0
pad_geoms = ["arm6_pad_l", "arm6_pad_r"]

[arm.wrist_camera]
name = "wrist"
body = "arm6_hand"
pos = [0.06, 0.0, 0.01]
quat = [0.0, 0.0, 1.0, 0.0]
fovy = 75.0
"""


def write_arm6(folder: Path, replace: dict[str, str] | None = None) -> Path:
    """Write ARM6_XML and its robot TOML into `folder` (the TOML's text with `replace` applied:
    old → new); returns the TOML's path."""
    (folder / "arm6.xml").write_text(ARM6_XML)
    text = ARM6_TOML
    for old, new in (replace or {}).items():
        text = text.replace(old, new)
    path = folder / "arm6.toml"
    path.write_text(text)
    return path
