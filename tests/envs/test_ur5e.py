"""The built-in UR5e-class arm (`envs/robots/ur5e.py`): it builds, resets and steps in every task;
its kinematics are the public DH numbers; its TCP at home is where the description says; a short
collect with it keeps every attempt, and `info --robots` lists it."""

import mujoco
import numpy as np
import pytest
from demoforge.augment.data.dataset import Dataset
from demoforge.envs import TASKS, EnvConfig, make_task_env
from demoforge.envs.experts import ExpertConfig, run_expert_episode
from demoforge.envs.kinematics import ForwardKinematics
from demoforge.envs.robots import get_robot, ur5e
from demoforge.train.cli import main

UR5E = get_robot("ur5e")


def _env(task="Lift", **kw):
    return make_task_env(task, config=EnvConfig(robot="ur5e", **kw))


@pytest.mark.parametrize("task", list(TASKS))
def test_it_builds_resets_and_steps_in_every_task(task):
    env = _env(task)
    obs, _ = env.reset(seed=0)
    assert env.model.nu == len(UR5E.actuators) == 8
    assert obs["joint_pos"].shape == (6,) and obs["gripper_qpos"].shape == (2,)
    for _ in range(5):
        obs, _, _, truncated, info = env.step(env.action_space.sample())
        assert not info["physics_diverged"] and not truncated
    assert np.all(np.isfinite(obs["joint_pos"]))


def test_its_kinematics_are_the_ur5e_dh_numbers():
    """All joints at zero, the arm stretched out: the flange is where UR's DH puts it in the base
    frame, (a2 + a3, −d4 − d6, d1 − d5) with a2, a3 < 0 (behind the base), the flange facing −y."""
    env = _env(init_qpos_noise=0.0)
    env.reset(seed=0)
    m, d = env.model, env.data
    d.qpos[env.control.arm_qpos] = 0.0
    mujoco.mj_kinematics(m, d)
    flange = d.xpos[m.body("ur5e_hand").id] - np.asarray(UR5E.arm.base_pos)
    expected = [-ur5e.A2 - ur5e.A3, -ur5e.D4 - ur5e.D6, ur5e.D1 - ur5e.D5]  # A2, A3 are lengths
    assert np.allclose(flange, expected, atol=1e-9), flange
    assert np.allclose(d.xmat[m.body("ur5e_hand").id].reshape(3, 3)[:, 2], [0.0, -1.0, 0.0])
    masses = [m.body(b).mass[0] for b in ("shoulder_link", "upper_arm_link", "forearm_link")]
    assert np.allclose(masses, [3.761, 8.058, 2.846])


def test_at_home_the_tcp_is_where_the_description_says_gripper_down():
    env = _env(init_qpos_noise=0.0)
    env.reset(seed=0)
    tcp = env.eef_pose()
    assert np.allclose(tcp[:3, 3], ur5e.HOME_TCP, atol=5e-4), tcp[:3, 3]
    assert np.allclose(tcp[:3, :3], UR5E.arm.gripper_down, atol=1e-3)
    fk = ForwardKinematics(env).tcp_matrices(UR5E.arm.home[None])[0]
    assert np.allclose(fk, tcp, atol=1e-9)
    assert np.allclose(ForwardKinematics(env).closing_axis(), [0.0, 1.0, 0.0], atol=1e-6)
    # The arm holds its home pose: gravity compensated, servos at the home targets.
    for _ in range(20):
        env.step(np.array([0, 0, 0, 0, 0, 0, -1], np.float32))
    assert np.allclose(env.eef_pose()[:3, 3], ur5e.HOME_TCP, atol=2e-3)


def test_its_servos_follow_ee_delta_steps_within_a_control_period():
    """The gains are tuned as the Panda's: one full 5 cm step is mostly covered within its 50 ms
    period (overdamped servos would lag, underdamped ones overshoot), along each axis only."""
    env = _env(init_qpos_noise=0.0)
    hold = np.array([0, 0, 0, 0, 0, 0, -1], np.float32)
    for axis in range(3):
        env.reset(seed=0)
        start = env.eef_pose()[:3, 3].copy()
        step = hold.copy()
        step[axis] = 1.0
        env.step(step)
        first = env.eef_pose()[:3, 3] - start
        peak = first[axis]
        for _ in range(8):
            env.step(hold)
            peak = max(peak, env.eef_pose()[axis, 3] - start[axis])
        assert first[axis] > 0.7 * 0.05, (axis, first)
        assert peak < 1.05 * 0.05 and np.all(np.abs(np.delete(first, axis)) < 0.01), (axis, peak, first)


def test_the_gripper_opens_85_mm_and_closes_on_a_cube():
    env = _env()
    env.reset(seed=0)
    assert env.gripper_opening() == pytest.approx(2 * ur5e.FINGER_MAX, abs=0.003)
    ok, _ = run_expert_episode(env, 0, ExpertConfig())
    assert ok


def test_a_short_collect_with_it_keeps_every_attempt(tmp_path, capsys):
    out = tmp_path / "real"
    assert main(["collect", "--task", "Lift", "--episodes", "2", "--robot", "ur5e", "--out", str(out)]) == 0
    with Dataset(out) as ds:
        assert ds.info["robot"]["name"] == "ur5e" and ds.info["robot"]["arm_joints"] == list(ur5e.ARM_JOINTS)
        assert len(ds) == 2
    capsys.readouterr()
    assert main(["info", "--robots"]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == ["panda", "ur5e"]
