"""An arm given as an MJCF file plus a robot TOML (`envs/robots/file_arm.py`): composed into the
task's scene with MjSpec at its base pose, checked against its TOML when read (one line naming the
file and the name), driven by the scripted experts through the controller's IK; and the built-in
Panda's model is still the one compiled from the scene string."""

import mujoco
import numpy as np
import pytest
from demoforge.envs import ConfigError, EnvConfig, make_task_env
from demoforge.envs.experts import ExpertConfig, make_expert
from demoforge.envs.robots import get_robot, load_robot, register_robot
from demoforge.envs.scene import SceneConfig, build_scene_model, build_scene_xml
from demoforge.envs.tasks.lift import Lift, LiftConfig

from tests.registrations import registrations_restored
from tests.robot_files import write_arm6


def _mjb(model: mujoco.MjModel) -> bytes:
    buffer = np.empty(mujoco.mj_sizeModel(model), np.uint8)
    mujoco.mj_saveModel(model, None, buffer)
    return buffer.tobytes()


def test_the_panda_is_compiled_from_the_scene_string_as_before():
    """Byte for byte the model the string gives: the MjSpec path is for file arms only, so the
    Panda's datasets keep their bytes (measured against main: docs, "Use your robot")."""
    task = Lift(LiftConfig())
    xml = build_scene_xml(task.name, task.objects_xml(), SceneConfig(), task.assets_xml())
    built = build_scene_model(task.name, task.objects_xml(), SceneConfig(), task.assets_xml())
    assert _mjb(built) == _mjb(mujoco.MjModel.from_xml_string(xml))


def test_a_file_arm_is_attached_at_its_base_pose_with_its_layout(tmp_path):
    with registrations_restored():
        robot = register_robot(write_arm6(tmp_path))
        assert robot.mjcf.file == str((tmp_path / "arm6.xml").resolve())
        env = make_task_env("Lift", config=EnvConfig(robot="arm6", init_qpos_noise=0.0, cameras=("wrist",)))
        obs, _ = env.reset(seed=0)
    assert obs["joint_pos"].shape == (6,) and env.action_space.shape == (7,)
    assert [env.model.actuator(i).name for i in range(env.model.nu)] == list(robot.actuators)
    assert np.allclose(env.data.xpos[env.model.body("arm6_base").id], robot.arm.base_pos)
    assert np.allclose(obs["eef_pos"], [0.5, 0.0, 0.25], atol=1e-4)  # the TOML's home posture
    assert obs["image_wrist"].shape == (84, 84, 3) and obs["image_wrist"].std() > 0  # the TOML's camera


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        ({'"a6_j6"]': '"a6_j7"]'}, r"line 3, robot\.mjcf: arm file .*arm6\.xml: no joint named 'a6_j7'"),
        ({'"arm6_pad_r"': '"pad_r"'}, r"robot\.mjcf: arm file .*: no geom named 'pad_r'"),
        ({'"a6_s1", "a6_s2"': '"a6_s2", "a6_s1"'}, r"robot\.mjcf: arm file .*: <actuator> lists .*; expected"),
        ({'mjcf = "arm6.xml"': 'mjcf = "gone.xml"'}, r"line 3, robot\.mjcf: no MJCF file .*gone\.xml"),
        ({'mjcf = "arm6.xml"': 'mjcf = "ur5"'}, r"robot\.mjcf: unknown robot 'ur5'; known: panda.* \(or an MJCF"),
    ],
)
def test_a_toml_that_does_not_fit_its_arm_file_is_one_line(tmp_path, replace, message):
    path = write_arm6(tmp_path, replace)
    with pytest.raises(ConfigError, match=message) as info:
        load_robot(path)
    assert "\n" not in str(info.value) and str(info.value).startswith(str(path))


def test_an_arm_file_mujoco_cannot_read_is_one_line(tmp_path):
    path = write_arm6(tmp_path)
    (tmp_path / "arm6.xml").write_text("<mujoco><worldbody><body name='x'>")
    with pytest.raises(ConfigError, match=r"robot\.mjcf: arm file .*arm6\.xml: MuJoCo cannot read it") as info:
        load_robot(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("human_like", [False, True])
def test_the_lift_expert_lifts_with_the_file_arm(tmp_path, human_like):
    """The experts act in end-effector space through the IK, and read the gripper's home yaw from
    the description (this arm's TCP x axis points to world -x at home, not +x as the Panda's)."""
    with registrations_restored():
        register_robot(write_arm6(tmp_path))
        env = make_task_env("Lift", config=EnvConfig(robot="arm6"))
        wins = 0
        for seed in range(4):
            env.reset(seed=seed)
            expert = make_expert(env, ExpertConfig(human_like=human_like))
            expert.reset(np.random.default_rng(seed))
            for _ in range(env.task.max_episode_steps):
                _, _, terminated, truncated, info = env.step(expert.act(env))
                if terminated or truncated:
                    break
            wins += bool(info["is_success"])
    assert wins == 4
    assert get_robot("panda").arm.gripper_down[0, 0] == 1.0  # the Panda's own yaw offset stays 0
