"""Forward kinematics agrees with the simulation it is built from."""

import numpy as np
import pytest
from demoforge.envs import ConfigError, EnvConfig, make_task_env
from demoforge.envs.kinematics import ForwardKinematics


@pytest.fixture(scope="module")
def env():
    env = make_task_env("Stack", config=EnvConfig(init_qpos_noise=0.1))
    yield env
    env.close()


def test_fk_of_the_reset_posture_is_the_env_tcp(env):
    """After reset (mj_forward) the env's TCP is that of its joint angles, so FK must give it
    exactly; the Panda's home posture puts the TCP at (0.5, 0, 0.25) pointing down."""
    fk = ForwardKinematics(env)
    poses = []
    for seed in range(3):
        env.reset(seed=seed)
        q = env.data.qpos[env.control.arm_qpos].copy()
        poses.append(fk.tcp_matrices(q[None])[0])
        assert np.allclose(poses[-1], env.eef_pose(), atol=1e-12)
    assert not np.allclose(poses[0], poses[1])  # the noisy reset moved the arm: not a constant
    home = fk.tcp_poses(env.robot.arm.home[None])[0]
    assert np.allclose(home[:3], [0.5, 0.0, 0.25], atol=2e-3)
    assert np.allclose(home[3:], env.robot.arm.tcp_home_quat, atol=1e-3)


def test_fk_leaves_the_env_state_alone_and_refuses_a_wrong_joint_count(env):
    env.reset(seed=0)
    before = env.eef_pose().copy()
    fk = ForwardKinematics(env)
    fk.tcp_poses(np.zeros((2, 7)))
    assert np.array_equal(env.eef_pose(), before)
    with pytest.raises(ConfigError, match=r"needs \(frames, 7\)"):
        fk.tcp_poses(np.zeros((2, 6)))


def test_the_panda_jaws_close_along_the_tcp_y_axis(env):
    axis = ForwardKinematics(env).closing_axis()
    assert np.allclose(np.abs(axis), [0, 1, 0], atol=1e-9)
