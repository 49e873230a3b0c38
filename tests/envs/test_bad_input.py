"""Bad actions fail loudly with a message that names the problem, before reaching MuJoCo."""

import numpy as np
import pytest
from demoforge.envs import ConfigError, EnvConfig, InvalidActionError, UnknownNameError, make_task_env
from demoforge.envs.experts import make_expert


@pytest.fixture
def env():
    e = make_task_env("Lift")
    e.reset(seed=0)
    return e


def test_nan_action_is_rejected_not_clipped(env):
    before = env.data.qpos.copy()
    with pytest.raises(InvalidActionError, match=r"NaN/inf at index \[2\]"):
        env.step(np.array([0, 0, np.nan, 0, 0, 0, 0], np.float32))
    assert np.array_equal(env.data.qpos, before), "a rejected action must not advance the simulation"


def test_inf_action_is_rejected(env):
    with pytest.raises(InvalidActionError, match="NaN/inf"):
        env.step(np.array([np.inf, 0, 0, 0, 0, 0, 0]))


@pytest.mark.parametrize("shape", [(6,), (8,), (1, 7), ()])
def test_wrong_action_shape(env, shape):
    with pytest.raises(InvalidActionError, match=r"action shape"):
        env.step(np.zeros(shape, np.float32))


def test_wrong_action_dtype(env):
    with pytest.raises(InvalidActionError, match="dtype"):
        env.step(np.array(["a"] * 7))
    with pytest.raises(InvalidActionError, match="dtype"):
        env.step(np.zeros(7, dtype=complex))


def test_out_of_range_actions_are_clipped_to_the_space(env):
    obs_big, *_ = env.step(np.full(7, 50.0))
    env.reset(seed=0)
    obs_one, *_ = env.step(np.ones(7))
    assert np.array_equal(obs_big["eef_pos"], obs_one["eef_pos"])


def test_bad_env_config_fields_are_named():
    with pytest.raises(ConfigError, match="control_mode"):
        EnvConfig(control_mode="torque")
    with pytest.raises(ConfigError, match="camera 'top' unknown; known: front, side, wrist"):
        EnvConfig(cameras=("top",))
    with pytest.raises(ConfigError, match="render_mode"):
        make_task_env("Lift", render_mode="human")


def test_unknown_body_geom_or_expert_names_the_valid_ones(env):
    with pytest.raises(UnknownNameError, match=r"no body named 'cubeZ'; the model's body names: world, .*\bcube\b"):
        env.sim.body_id("cubeZ")
    with pytest.raises(
        UnknownNameError, match=r"no geom named 'pad'; the model's geom names: .*\bpad_left, pad_right\b"
    ):
        env.sim.geom_id("pad")

    class Pour(type(env.task)):
        name = "Pour"

    env.task.__class__ = Pour
    with pytest.raises(UnknownNameError, match="no scripted expert for task 'Pour'; experts: Lift, Stack, PickPlace"):
        make_expert(env)
