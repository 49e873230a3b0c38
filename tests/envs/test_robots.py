"""The robot description (envs/robots/): the Panda as data, robot TOML files read back to the same
description with one-line errors, the registry, and an env built from a registered variant."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from demoforge.envs import ConfigError, EnvConfig, UnknownNameError, make_task_env
from demoforge.envs.control import IKSolve, dls_joint_targets
from demoforge.envs.robots import (
    DEFAULT_ROBOT,
    ROBOTS,
    ArmDescription,
    GripperDescription,
    IKSettings,
    get_robot,
    load_robot,
    register_robot,
)

from tests.registrations import registrations_restored
from tests.robot_files import panda_toml

PANDA = get_robot("panda")


def test_the_panda_is_the_default_robot_and_its_layout_is_the_envs():
    assert DEFAULT_ROBOT == "panda" and "panda" in ROBOTS
    env = make_task_env("Lift")
    assert env.robot is PANDA
    assert env.action_space.shape == (7,)
    assert env.observation_space["joint_pos"].shape == (PANDA.arm.n_joints,)
    assert env.observation_space["gripper_qpos"].shape == (PANDA.arm.gripper.width,)
    assert env.model.nu == len(PANDA.actuators)
    assert PANDA.layout()["arm_joints"] == [f"joint{i}" for i in range(1, 8)]


def test_gripper_down_is_the_matrix_the_experts_always_used():
    """Bit for bit, signs of zeros included: the experts' targets (and so every dataset) stay the same."""
    assert PANDA.arm.gripper_down.tobytes() == np.diag([1.0, -1.0, -1.0]).tobytes()


def test_gripper_target_and_command_invert_each_other_and_match_the_old_formula():
    g = PANDA.arm.gripper
    c = np.linspace(-1.0, 1.0, 41)
    assert g.target(c).tobytes() == (0.04 * (1.0 - c) / 2.0).tobytes()
    assert np.allclose([g.command(t) for t in g.target(c)], c)


def test_a_toml_file_of_the_panda_reads_back_as_the_panda(tmp_path):
    path = tmp_path / "robot.toml"
    path.write_text(panda_toml())
    robot = load_robot(path)
    assert robot.name == "my_panda" and robot.origin == str(path)
    assert robot.arm == PANDA.arm and robot.mjcf is PANDA.mjcf


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"tcp_site": "3"}, r"line \d+, arm\[0\].tcp_site: expected a non-empty string, got an integer 3"),
        ({"joint_lower": "[1.0]"}, r"joint_lower has 1 values, joints has 7"),
        ({"home_qpos": '"home"'}, r"line 10, arm\[0\].home_qpos: expected an array of numbers"),
        ({"base_pos": "[0.0, 0.0]"}, r"line \d+, arm\[0\].base_pos: expected an array of 3 numbers"),
        ({"reach": "1.0"}, r"line \d+, arm\[0\].reach: unknown key"),
    ],
)
def test_a_bad_robot_file_is_one_line_naming_the_file_and_key(tmp_path, override, message):
    path = tmp_path / "robot.toml"
    path.write_text(panda_toml(**override))
    with pytest.raises(ConfigError, match=message) as info:
        load_robot(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_a_robot_file_naming_an_unknown_mjcf_lists_the_known(tmp_path):
    path = tmp_path / "robot.toml"
    path.write_text(panda_toml().replace('mjcf = "panda"', 'mjcf = "ur5"'))
    with pytest.raises(ConfigError, match=r"line 3, robot.mjcf: unknown robot 'ur5'; known: panda"):
        load_robot(path)


def test_descriptions_check_themselves():
    arm = PANDA.arm
    with pytest.raises(ConfigError, match="home_qpos=.* outside the joint limits"):
        dataclasses.replace(arm, home_qpos=(9.0,) * 7)
    with pytest.raises(ConfigError, match="actuators has 1 names, finger_joints 2"):
        dataclasses.replace(arm.gripper, actuators=("a",))
    with pytest.raises(ConfigError, match="IKSettings.damping=0 must be > 0"):
        IKSettings(damping=0)
    with pytest.raises(ConfigError, match="has 2 arms; exactly one is supported"):
        dataclasses.replace(PANDA, arms=(arm, arm))
    assert isinstance(arm, ArmDescription) and isinstance(arm.gripper, GripperDescription)


def test_an_unknown_robot_is_refused_listing_the_known():
    with pytest.raises(UnknownNameError, match="unknown robot 'ur10'; known: .*panda, ur5e"):
        EnvConfig(robot="ur10")


def test_a_registered_variant_drives_the_env(tmp_path):
    """A robot registered from a file (another home posture, a narrower gripper) is what the env
    resets to and commands: the layers read the description, not the Panda's constants."""
    home = np.array(PANDA.arm.home_qpos)
    home[0] = 0.3
    path = tmp_path / "robot.toml"
    path.write_text(panda_toml(name="turned", home_qpos="[" + ", ".join(map(str, home)) + "]"))
    with registrations_restored():
        robot = register_robot(path)
        narrow = dataclasses.replace(
            robot,
            name="narrow",
            arms=(dataclasses.replace(robot.arm, gripper=dataclasses.replace(robot.arm.gripper, open=0.02)),),
        )
        register_robot(narrow)
        with pytest.raises(ConfigError, match="built in"):
            register_robot(dataclasses.replace(PANDA))
        env = make_task_env("Lift", config=EnvConfig(robot="turned", init_qpos_noise=0.0))
        obs, _ = env.reset(seed=0)
        assert np.allclose(obs["joint_pos"], home, atol=1e-6)
        env = make_task_env("Lift", config=EnvConfig(robot="narrow"))
        env.reset(seed=0)
        assert np.allclose(env.data.ctrl[narrow.gripper_ctrl], 0.02)
        env.step(np.zeros(7, np.float32))
        assert env.gripper_opening() < 0.05  # opened to the narrow gripper's 2 cm per finger, not 4


def test_ik_weights_trade_orientation_for_position():
    """With a rank-deficient Jacobian (a 5-joint arm), weighting position rows tracks position more
    closely than the plain solve: what lets an arm with fewer joints keep the TCP on its path."""
    rng = np.random.default_rng(0)
    jac = rng.normal(size=(6, 5))
    error = rng.normal(size=6) * 0.01
    arm = dataclasses.replace(
        PANDA.arm,
        joints=PANDA.arm.joints[:5],
        actuators=PANDA.arm.actuators[:5],
        joint_lower=(-10.0,) * 5,
        joint_upper=(10.0,) * 5,
        home_qpos=(0.0,) * 5,
    )
    q = np.zeros(5)
    plain = dls_joint_targets(jac, q, error, IKSolve.of(arm))
    weighted_arm = dataclasses.replace(arm, ik=IKSettings(position_weight=1.0, orientation_weight=0.1))
    weighted = dls_joint_targets(jac, q, error, IKSolve.of(weighted_arm))
    miss = [np.linalg.norm(jac[:3] @ dq - error[:3]) for dq in (plain, weighted)]
    assert miss[1] < 0.5 * miss[0]


def test_the_toml_format_in_the_docstring_is_the_one_read(tmp_path):
    """The loader module's docstring example, cut out and read: the documented keys are the real ones."""
    from demoforge.envs.robots import toml_file

    doc = toml_file.__doc__.split("\n\n", 1)[1].split('"""')[0]
    text = "\n".join(line[4:] for line in doc.splitlines())
    arm = PANDA.arm
    text = text.replace('joints = ["joint1", ...]  # base to wrist', f"joints = {list(arm.joints)}")
    text = text.replace('actuators = ["act_joint1", ...]', f"actuators = {list(arm.actuators)}")
    for key in ("joint_lower", "joint_upper", "home_qpos"):
        text = text.replace(f"{key} = [...]", f"{key} = {list(getattr(arm, key))}")
    path = tmp_path / "robot.toml"
    path.write_text(text.replace("'", '"'))
    robot = load_robot(path)
    assert robot.arm == PANDA.arm
    assert Path(robot.origin) == path
