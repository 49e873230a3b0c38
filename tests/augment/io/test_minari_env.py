"""Minari export: the env_spec it stores rebuilds an env producing exactly the exported observations."""

import numpy as np
import pytest
from demoforge.augment.data.dataset import Dataset
from demoforge.augment.io.convert import export_dataset
from demoforge.augment.io.minari import minari_root
from demoforge.augment.io.store_env import store_env_spec


@pytest.fixture(scope="module")
def demos(demo_dataset):
    return demo_dataset("Lift", episodes=2, cameras=("front",), image_size=(48, 64))


def test_recover_environment_gives_the_exported_observation_layout(demos, tmp_path):
    minari = pytest.importorskip("minari")
    export_dataset(demos, "minari", tmp_path / "root", dataset_id="demoforge/lift-v0")
    with minari_root(tmp_path / "root"):
        dataset = minari.load_dataset("demoforge/lift-v0")
        assert dataset.spec.env_spec is not None
        env = dataset.recover_environment()
    space = dataset.observation_space
    first = dataset[0].observations
    obs, _ = env.reset(seed=0)
    assert set(obs) == set(space.spaces) == set(first)
    for _ in range(3):
        for key, value in obs.items():
            assert value.shape == space[key].shape == first[key].shape[1:], key
            assert value.dtype == space[key].dtype, key
        assert space.contains(obs)
        obs, *_ = env.step(env.action_space.sample())
    assert env.action_space.shape == dataset.action_space.shape
    # the state vector carries the same quantities as the recorded one (the TCP height, e.g.)
    assert np.allclose(obs["state"][14:17], env.unwrapped.data.site_xpos[env.unwrapped.sim.tcp_site], atol=1e-5)
    env.close()


def test_data_no_task_env_reproduces_gets_no_env_spec(demos):
    ds = Dataset(demos)
    assert store_env_spec("Lift", ds.features, ds.fps) is not None
    feats = {k: v for k, v in ds.features.items() if k != "observation.environment_state"}
    assert store_env_spec("Lift", feats, ds.fps) is None  # a dropped observation
    assert store_env_spec("Stack", ds.features, ds.fps) is None  # another task's object count
    assert store_env_spec("NoSuchTask", ds.features, ds.fps) is None
