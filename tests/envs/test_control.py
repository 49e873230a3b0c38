"""One action → control path (`envs.control`): the env, the batched generation runner and the
domain wrapper's perturbations all go through it, in either control mode."""

import demoforge
import mujoco
import numpy as np
import pytest
from demoforge.augment.domain.profiles import load_profile
from demoforge.augment.domain.wrapper import EpisodeDomain, perturb_action
from demoforge.envs import EnvConfig, InvalidActionError, make_task_env
from demoforge.envs.control import JOINT_NOISE_RAD_PER_UNIT, IKSolve, dls_joint_targets
from demoforge.envs.robots import get_robot

ARM = get_robot("panda").arm


def _arm_q(env) -> np.ndarray:
    return np.array([env.data.joint(j).qpos[0] for j in ARM.joints])


def test_joint_pos_hold_holds_under_the_target_profile():
    """Sending the joint positions the arm is at (gripper open) keeps it there, latency included:
    the "nothing arrived yet" action is a hold in joint_pos mode too, not zero joint targets."""
    env = demoforge.make_env("Lift", "target", config=EnvConfig(control_mode="joint_pos"))
    env.reset(seed=0)
    base = env.unwrapped
    start = _arm_q(base)
    hold = np.append(start, -1.0).astype(np.float32)
    for _ in range(20):
        env.step(hold)
        drift = np.abs(_arm_q(base) - start)
        assert drift.max() <= 1e-3, drift


def _states(env, rng, n):
    """n random arm postures (random joint velocities too) of env's scene, each through mj_forward:
    (qpos, qvel) rows and the derived arrays the batched runner reads."""
    m, d = env.model, env.data
    rows = {k: [] for k in ("qpos", "qvel", "ctrl", "cdof", "subtree_com", "site_xpos")}
    for _ in range(n):
        env.reset(seed=int(rng.integers(1 << 30)))
        d.qpos[env.control.arm_qpos] = rng.uniform(ARM.lower, ARM.upper)
        d.qvel[env.control.arm_dofs] = rng.normal(0, 0.3, 7)
        mujoco.mj_forward(m, d)
        for k, v in rows.items():
            v.append(getattr(d, k).copy())
    return {k: np.array(v) for k, v in rows.items()}


def _single(env, states, k, action):
    """env.step's control of state k for `action`: the single path, on the env's own MjData."""
    d = env.data
    d.qpos[:], d.qvel[:], d.ctrl[:] = states["qpos"][k], states["qvel"][k], states["ctrl"][k]
    mujoco.mj_forward(env.model, d)
    env.control.apply(d, env.validate_action(action))
    return d.ctrl.copy()


@pytest.mark.parametrize("mode", ["ee_delta", "joint_pos"])
def test_batched_and_single_controls_are_the_same_bytes(mode):
    env = make_task_env("Lift", config=EnvConfig(control_mode=mode))
    control = env.control
    rng = np.random.default_rng(7)
    n = 6
    states = _states(env, rng, n)
    space = env.action_space
    actions = rng.uniform(space.low - 0.2, space.high + 0.2, (n, *space.shape)).astype(np.float32)  # some clipped
    applied = control.validate_rows(actions.astype(np.float64))
    for k in range(n):
        assert applied[k].tobytes() == env.validate_action(actions[k]).tobytes()

    def batched(rows):
        ctrl = states["ctrl"][rows]
        jac = control.jacobian_rows(states["cdof"][rows], states["subtree_com"][rows], states["site_xpos"][rows])
        control.write(ctrl, applied[rows], states["qpos"][rows][:, control.arm_qpos], jac)
        return ctrl

    together = batched(np.arange(n))
    for k in range(n):
        single = _single(env, states, k, actions[k])
        assert single.tobytes() == together[k].tobytes(), (mode, k)
        assert single.tobytes() == batched(np.array([k]))[0].tobytes()  # a row alone, the same
    if mode == "ee_delta":  # the Jacobians themselves, too
        jac = control.jacobian_rows(states["cdof"], states["subtree_com"], states["site_xpos"])
        for k in range(n):
            env.data.qpos[:], env.data.qvel[:] = states["qpos"][k], states["qvel"][k]
            mujoco.mj_forward(env.model, env.data)
            assert control.jacobian(env.data).tobytes() == jac[k].tobytes()


@pytest.mark.parametrize("mode", ["ee_delta", "joint_pos"])
def test_validation_rejects_in_both_forms(mode):
    env = make_task_env("Lift", config=EnvConfig(control_mode=mode))
    dim = env.action_space.shape[0]
    rows = np.zeros((3, dim))
    rows[1, 2] = np.nan
    with pytest.raises(InvalidActionError, match=r"NaN/inf at index \[2\]"):
        env.control.validate_rows(rows)
    with pytest.raises(InvalidActionError, match=r"NaN/inf at index \[2\]"):
        env.control.validate(rows[1])
    with pytest.raises(InvalidActionError, match="shape"):
        env.control.validate(np.zeros(dim + 1))
    with pytest.raises(InvalidActionError, match="shape"):
        env.control.validate_rows(np.zeros((2, dim + 1)))
    with pytest.raises(InvalidActionError, match="dtype"):
        env.control.validate(np.array(["a"] * dim))


def test_ee_delta_control_is_the_ik_it_always_was():
    """ee_delta: the arm targets are DLS IK of (action[:3] · max_pos_delta ‖ action[3:6] ·
    max_rot_delta) on mj_jacSite's Jacobian, the fingers finger_target(action[-1]) — the
    arithmetic of the controller before the control module, spelled out here."""
    env = make_task_env("Lift")
    m, d, c = env.model, env.data, env.config.controller
    rng = np.random.default_rng(3)
    states = _states(env, rng, 4)
    for k in range(4):
        action = rng.uniform(-1, 1, 7).astype(np.float32)
        got = _single(env, states, k, action)
        a = action.astype(np.float64)
        jacp, jacr = np.zeros((3, m.nv)), np.zeros((3, m.nv))
        mujoco.mj_jacSite(m, d, jacp, jacr, env.sim.tcp_site)
        jac = np.vstack((jacp[:, env.control.arm_dofs], jacr[:, env.control.arm_dofs]))
        error = np.concatenate((a[:3] * c.max_pos_delta, a[3:6] * c.max_rot_delta))
        want = states["ctrl"][k].copy()
        robot = env.robot
        want[robot.arm_ctrl] = dls_joint_targets(jac, d.qpos[env.control.arm_qpos], error, IKSolve.of(robot.arm))
        want[robot.gripper_ctrl] = robot.arm.gripper.target(a[-1])
        assert got.tobytes() == want.tobytes()


def _perturbed(mode, latency, sent, seed=5):
    env = make_task_env("Lift", config=EnvConfig(control_mode=mode))
    env.reset(seed=0)
    episode = EpisodeDomain(np.random.default_rng(seed), np.random.default_rng(0), latency=latency)
    profile = load_profile("randomized")  # action noise_std 0.03
    out = [perturb_action(profile, episode, a, env.control, env.data.ctrl) for a in sent]
    return env, profile, out


def test_ee_delta_perturbation_is_what_it_always_was():
    """Noise N(0, std) on the 6 motion entries, drawn as one normal(0, std, 6) per step; until
    the first action arrives, zeros with the gripper open."""
    rng = np.random.default_rng(1)
    sent = [rng.uniform(-1, 1, 7) for _ in range(4)]
    env, profile, out = _perturbed("ee_delta", 2, sent)
    std, draws = profile.action.noise_std, np.random.default_rng(5)
    want = []
    for a in sent:
        a = a.copy()
        a[:6] += draws.normal(0.0, std, 6)
        want.append(a)
    hold = np.zeros(7)
    hold[-1] = -1.0
    assert [o.tobytes() for o in out] == [hold.tobytes(), hold.tobytes(), want[0].tobytes(), want[1].tobytes()]


def test_joint_pos_perturbation_noises_the_joint_targets_and_holds_the_servo_targets():
    rng = np.random.default_rng(1)
    sent = [np.append(rng.uniform(ARM.lower, ARM.upper), 0.5) for _ in range(3)]
    env, profile, out = _perturbed("joint_pos", 1, sent)
    held = np.append(env.data.ctrl[:7], -1.0)  # the reset posture the servos are holding
    assert np.array_equal(out[0], held)
    assert np.allclose(held[:7], env.data.qpos[env.control.arm_qpos])
    noise = out[1] - sent[0]
    assert noise[-1] == 0.0  # the gripper is not noised
    std = profile.action.noise_std * JOINT_NOISE_RAD_PER_UNIT
    want = np.random.default_rng(5).normal(0.0, std, 7)
    assert np.allclose(noise[:7], want, rtol=0, atol=1e-12)
