"""The end-effector controller moves the TCP where the action says, in the world frame."""

import numpy as np
from demoforge.envs import EnvConfig, make_task_env
from demoforge.envs.geometry import yaw_of
from demoforge.envs.robots import get_robot


def _settle(env, steps=10):
    for _ in range(steps):
        env.step(np.zeros(7, np.float32))


def test_translation_action_moves_tcp_along_that_axis():
    env = make_task_env("Lift")
    for axis in range(3):
        env.reset(seed=0)
        start = env.eef_pose()[:3, 3].copy()
        a = np.zeros(7, np.float32)
        a[axis] = 0.5  # 2.5 cm per step commanded
        for _ in range(4):
            env.step(a)
        _settle(env, 4)
        moved = env.eef_pose()[:3, 3] - start
        assert 0.07 < moved[axis] < 0.11, (axis, moved)  # 4 × 2.5 cm = 10 cm commanded
        off_axis = np.delete(moved, axis)
        assert np.all(np.abs(off_axis) < 0.01), (axis, moved)


def test_rotation_action_turns_the_gripper_about_world_z():
    env = make_task_env("Lift")
    env.reset(seed=0)
    yaw0 = yaw_of(env.eef_pose()[:3, :3])
    a = np.zeros(7, np.float32)
    a[5] = 0.4  # 0.2 rad per step
    for _ in range(3):
        env.step(a)
    _settle(env)
    # 0.6 rad commanded; the lighter wrist servos cover ~75 % of it within the steps.
    assert 0.4 < yaw_of(env.eef_pose()[:3, :3]) - yaw0 < 0.7


def test_gripper_action_opens_and_closes():
    env = make_task_env("Lift")
    env.reset(seed=0)
    close = np.zeros(7, np.float32)
    close[6] = 1.0
    for _ in range(5):
        env.step(close)
    assert env.gripper_opening() < 0.005
    for _ in range(5):
        env.step(np.zeros(7, np.float32) - np.eye(7, dtype=np.float32)[6])
    assert env.gripper_opening() > 0.075


def test_joint_position_mode_tracks_absolute_targets():
    env = make_task_env("Lift", config=EnvConfig(control_mode="joint_pos"))
    assert env.action_space.shape == (8,)
    env.reset(seed=0)
    target = get_robot("panda").arm.home + np.array([0.2, -0.1, 0.1, 0.2, -0.2, 0.1, 0.3])
    action = np.append(target, -1.0).astype(np.float32)
    for _ in range(20):
        obs, *_ = env.step(action)
    assert np.allclose(obs["joint_pos"], target, atol=0.02)
