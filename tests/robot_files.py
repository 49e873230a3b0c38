"""Robot TOML files for tests: the built-in Panda written out, with keys of `[[arm]]` overridden."""

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
