"""Each task's dense reward: in [0, 1], equal to its docstring's terms at the states an expert
passes through (reset, grasped, carried, success), and below 1 until success."""

import mujoco
import numpy as np
import pytest
from demoforge.envs import TASKS, EnvConfig, make_task_env
from demoforge.envs.experts import make_expert
from demoforge.envs.scene import TABLE_TOP_Z


def reach(d):
    return 1.0 - np.tanh(10.0 * d)


def terms(name: str, obs: dict, grasped: bool, task) -> float:
    """The reward each task's docstring specifies, from the observation alone (float32)."""
    pos = obs["object_pos"].astype(np.float64).reshape(-1, 3)
    d = float(np.linalg.norm(obs["object_to_eef"][:3]))  # TCP to the picked object
    d_xy = float(np.linalg.norm(pos[0, :2] - pos[1, :2])) if len(pos) > 1 else 0.0
    if name == "Lift":
        return (reach(d) + 0.25 * grasped) / 2.25
    if name == "Stack":
        return min(0.25 * reach(d) + grasped * (0.25 + 0.5 * (1 - np.tanh(10 * d_xy))), 0.99)
    if name == "PickPlace":
        return 0.25 * reach(d) + grasped * (0.25 + 0.45 * (1 - np.tanh(5 * d_xy)))
    if name == "PegInsert":
        c = task.config
        top = TABLE_TOP_Z + c.socket_height
        start = c.depth_reward_from  # 2 cm above the socket's top
        depth = np.clip((top + start - (pos[0, 2] - c.peg_half_size[2])) / (start + c.insert_depth), 0, 1)
        return 0.2 * reach(d) + grasped * (0.2 + 0.3 * (1 - np.tanh(10 * d_xy)) + 0.2 * depth)
    raise AssertionError(name)


@pytest.mark.parametrize("name", list(TASKS))
def test_dense_reward_is_in_range_and_equals_its_terms_along_an_expert_episode(name):
    env = make_task_env(name, config=EnvConfig(reward_type="dense"))
    obs, _ = env.reset(seed=3)
    expert = make_expert(env)
    expert.reset(np.random.default_rng(3))
    at_reset = env.task.dense_reward()
    assert 0.0 < at_reset < 0.3 and np.isclose(at_reset, terms(name, obs, False, env.task), atol=1e-5)
    seen = {"grasped": 0, "success": 0}
    for _ in range(env.task.max_episode_steps):
        obs, reward, terminated, truncated, info = env.step(expert.act(env))
        assert isinstance(reward, float) and 0.0 <= reward <= 1.0
        if info["is_success"]:
            assert reward == 1.0
            seen["success"] += 1
        else:
            grasped = info["subtasks"]["grasped"]
            seen["grasped"] += grasped
            assert reward < 1.0
            assert np.isclose(reward, terms(name, obs, grasped, env.task), atol=1e-5), (reward, grasped)
        if terminated or truncated:
            break
    assert seen["grasped"] >= 3 and seen["success"] == 1, seen  # the grasp terms and success were reached


def test_stack_reward_is_capped_below_one_until_cube_a_is_released(monkeypatch):
    """Grasped, A exactly over B and the TCP on A sum to 1.0: the cap keeps it at 0.99, so only
    success (A released on B) scores 1."""
    env = make_task_env("Stack", config=EnvConfig(reward_type="dense"))
    env.reset(seed=0)
    expert = make_expert(env)
    expert.reset(np.random.default_rng(0))
    for _ in range(env.task.max_episode_steps):
        _, _, _, _, info = env.step(expert.act(env))
        if info["subtasks"]["grasped"] and info["subtasks"]["above_target"]:
            break
    else:
        raise AssertionError("the expert never carried cube A over B")
    b = env.model.body_jntadr[env.task.object_bodies[1]]
    env.data.qpos[env.model.jnt_qposadr[b] : env.model.jnt_qposadr[b] + 2] = env.data.xpos[env.task.object_bodies[0]][
        :2
    ]
    mujoco.mj_forward(env.model, env.data)
    monkeypatch.setattr(env.task, "reach_reward", lambda target: 1.0)
    assert env.task.signals()["grasped"] and not env.task.is_success()
    assert env.task.dense_reward() == 0.99
