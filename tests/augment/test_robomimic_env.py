"""RobomimicEnv: robomimic's EnvBase interface over a demoforge env, built from the env_args our
robomimic export writes, observing exactly what the export stores under obs/.

robomimic is not installed here: its EnvBase is re-declared below (the abstract methods and
properties of robomimic/envs/env_base.py, v0.3.x) to check the lazy subclassing.
"""

import abc
import json
import sys
import types

import h5py
import numpy as np
import pytest
from demoforge.augment.io.convert import export_dataset
from demoforge.augment.io.robomimic_env import RobomimicEnv

SIZE = (48, 64)  # (height, width): not square, so a transposed image cannot pass


@pytest.fixture(scope="module")
def exported(demo_dataset, tmp_path_factory):
    lift = demo_dataset("Lift", episodes=2, profile="nominal", cameras=("front",), image_size=SIZE, seed=3)
    out = export_dataset(lift, "robomimic", tmp_path_factory.mktemp("robomimic_env") / "lift.hdf5")
    with h5py.File(out) as f:
        env_args = json.loads(f["data"].attrs["env_args"])
        demos = {
            d: {
                "obs": {k: v[()] for k, v in f["data"][d]["obs"].items()},
                "states": f["data"][d]["states"][()],
                "actions": f["data"][d]["actions"][()],
            }
            for d in f["data"]
        }
    return env_args, demos


def _stored_env(env_args):
    return RobomimicEnv.from_env_args(env_args, use_image_obs=True, postprocess_visual_obs=False)


def test_env_args_name_the_env_and_its_domain(exported):
    env_args, _ = exported
    assert env_args["env_name"] == "Lift" and env_args["type"] == 2
    kw = env_args["env_kwargs"]
    assert kw["profile"] == "nominal" and kw["cameras"] == ["front"] and kw["image_size"] == list(SIZE)


def test_observations_have_the_exported_keys_shapes_and_dtypes(exported):
    env_args, demos = exported
    demo = demos["demo_0"]
    env = _stored_env(env_args)
    for obs in (env.reset(seed=0), env.reset_to({"states": demo["states"][0]}), env.step(demo["actions"][0])[0]):
        assert set(obs) == set(demo["obs"]) == {"state", "environment_state", "front_image"}
        for key, stored in demo["obs"].items():
            assert obs[key].shape == stored.shape[1:], key
            assert obs[key].dtype == stored.dtype, key
    # robomimic's network input: rgb as float 3×H×W in [0, 1]; without use_image_obs no camera
    processed = RobomimicEnv.from_env_args(env_args, use_image_obs=True).reset(seed=0)["front_image"]
    assert processed.shape == (3, *SIZE) and processed.dtype == np.float32 and processed.max() <= 1.0
    assert set(RobomimicEnv.from_env_args(env_args).reset(seed=0)) == {"state", "environment_state"}
    env.close()


def test_reset_to_reproduces_the_recorded_frames(exported):
    """`states[t]` is the MuJoCo state obs[t] shows (the one action t was taken in), so
    reset_to(states[t]) shows obs[t]: joints exactly; TCP and object poses within one physics
    substep (mj_step leaves the observed kinematics one substep behind qpos)."""
    env_args, demos = exported
    demo = demos["demo_1"]
    env = _stored_env(env_args)
    env.reset(seed=123)  # another episode first: reset_to must replace all of it
    n = len(demo["actions"])
    joints = np.r_[0:14, 21:23]  # joint_pos, joint_vel, gripper_qpos in observation.state
    for t in (0, 1, n // 2, n - 1):
        obs = env.reset_to({"states": demo["states"][t]})
        assert np.array_equal(obs["state"][joints], demo["obs"]["state"][t][joints]), t
        assert np.allclose(obs["state"], demo["obs"]["state"][t], atol=1e-2), t
        assert np.allclose(obs["environment_state"], demo["obs"]["environment_state"][t], atol=1e-2), t
        assert np.array_equal(env.get_state()["states"], demo["states"][t])
        # the camera frame, within h264's loss
        assert np.abs(obs["front_image"].astype(float) - demo["obs"]["front_image"][t]).mean() < 4.0, t
    # another frame's state does not pass for this one
    obs = env.reset_to({"states": demo["states"][n // 2]})
    assert not np.allclose(obs["state"], demo["obs"]["state"][0], atol=1e-2)
    with pytest.raises(ValueError, match="qpos"):
        env.reset_to({"states": demo["states"][0][:-1]})
    env.close()


@pytest.mark.parametrize("name", ["demo_0", "demo_1"])
def test_replaying_the_actions_from_reset_to_succeeds(exported, name):
    """From reset_to(states[0]), the recorded actions retrace states[1:] and succeed."""
    env_args, demos = exported
    demo = demos[name]
    env = RobomimicEnv.from_env_args(env_args)
    env.reset(seed=99)
    env.reset_to({"states": demo["states"][0]})
    assert env.is_success() == {"task": False}
    n = len(demo["actions"])
    for t, action in enumerate(demo["actions"], start=1):
        obs, reward, done, info = env.step(action)
        # close, not exact: the solver warm start of the recorded run is not in `states`
        assert t == n or np.allclose(env.get_state()["states"][:9], demo["states"][t][:9], atol=1e-2), t
    assert env.is_success() == {"task": True} and done and reward == env.get_reward() == 1.0
    # holding still from the same start does not succeed: success is not given away
    env.reset_to({"states": demo["states"][0]})
    for _ in range(len(demo["actions"])):
        env.step(np.array([0, 0, 0, 0, 0, 0, -1], np.float32))
    assert env.is_success()["task"] is False
    env.close()


def test_serialize_rebuilds_the_same_env(exported):
    env_args, demos = exported
    env = _stored_env(env_args)
    meta = env.serialize()
    assert meta["env_name"] == env.name == "Lift" and meta["type"] == env.type == 2
    again = RobomimicEnv.from_env_args(json.loads(json.dumps(meta)))
    state = {"states": demos["demo_0"]["states"][0]}
    a, b = env.reset_to(state), again.reset_to(state)
    assert set(a) == set(b) and all(np.array_equal(a[k], b[k]) for k in a)
    assert env.action_dimension == 7 and env.base_env is env.env.unwrapped
    assert env.render(mode="rgb_array", height=32, width=40).shape == (32, 40, 3)
    data_env = RobomimicEnv.create_for_data_processing("Lift", ["front"], SIZE[0], SIZE[1], False, profile="nominal")
    assert data_env.reset_to(state)["front_image"].shape == (*SIZE, 3)
    env.close(), again.close(), data_env.close()


def test_subclasses_robomimics_env_base_when_installed(exported, monkeypatch):
    env_args, _ = exported

    class EnvBase(abc.ABC):  # noqa: B024 (abstract methods are set below)
        pass

    abstract = ["__init__", "step", "reset", "reset_to", "render", "get_observation", "get_state", "get_reward"]
    abstract += ["get_goal", "set_goal", "is_done", "is_success", "serialize"]
    for m in abstract:
        setattr(EnvBase, m, abc.abstractmethod(lambda self, *a, **k: None))
    for p in ("action_dimension", "name", "type", "rollout_exceptions"):
        setattr(EnvBase, p, property(abc.abstractmethod(lambda self: None)))
    EnvBase.create_for_data_processing = classmethod(abc.abstractmethod(lambda cls, *a, **k: None))
    EnvBase.__abstractmethods__ = frozenset([*abstract, "action_dimension", "name", "type", "rollout_exceptions"])
    env_base = types.ModuleType("robomimic.envs.env_base")
    env_base.EnvBase = EnvBase
    for name, mod in {
        "robomimic": types.ModuleType("robomimic"),
        "robomimic.envs": types.ModuleType("robomimic.envs"),
        "robomimic.envs.env_base": env_base,
    }.items():
        monkeypatch.setitem(sys.modules, name, mod)
    with pytest.raises(TypeError):  # the stand-in is really abstract
        EnvBase()
    env = RobomimicEnv.from_env_args(env_args)
    assert isinstance(env, EnvBase) and isinstance(env, RobomimicEnv)
    assert env.reset(seed=0).keys() == {"state", "environment_state"}
    env.close()
