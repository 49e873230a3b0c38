"""The observation spec agrees with what every task's env declares and returns, and the modes
select what they promise (vision: no privileged field)."""

import numpy as np
import pytest
from demoforge.envs import TASKS, ConfigError, EnvConfig, UnknownNameError, make_task_env
from demoforge.envs.observation import (
    ENV_FIELDS,
    STATE,
    VECTOR_FEATURES,
    env_image_key,
    observation_features,
    observation_keys,
    select_features,
    vector_feature,
)


@pytest.mark.parametrize("name", list(TASKS))
def test_spec_sizes_and_names_match_the_envs_observation_space(name):
    env = make_task_env(name, config=EnvConfig(cameras=("front",), image_size=(32, 32)))
    objects = env.task.objects
    space = env.observation_space
    # the env declares exactly the spec's fields (plus its camera), each of the spec's size
    assert set(space) == {f.key for f in ENV_FIELDS} | {env_image_key("front")}
    for f in ENV_FIELDS:
        assert space[f.key].shape == (f.size(objects),), f.key
        assert len(f.names(objects)) == f.size(objects), f.key
    obs, _ = env.reset(seed=1)
    assert {k: v.shape for k, v in obs.items()} == {k: s.shape for k, s in space.items()}
    # the stored vectors: widths and names line up with the env's values, in the spec's order
    stored = observation_features(obs)
    assert list(stored) == [f.key for f in VECTOR_FEATURES]
    for feature in VECTOR_FEATURES:
        names = feature.names(objects)
        assert stored[feature.key].shape == (feature.size(objects),) == (len(names),)
        assert len(set(names)) == len(names), f"{feature.key}: duplicate names"
    env_state = stored["observation.environment_state"]
    names = vector_feature("observation.environment_state").names(objects)
    first = objects[0]
    at = names.index(f"{first}.pos.x")
    np.testing.assert_array_equal(env_state[at : at + 3], obs["object_pos"][:3])
    at = STATE.names(objects).index("eef_quat.w")
    np.testing.assert_array_equal(stored["observation.state"][at : at + 4], obs["eef_quat"])
    env.close()


def test_privileged_fields_are_the_object_poses_and_proprioception_is_not():
    assert {f.key for f in ENV_FIELDS if f.privileged} == {"object_pos", "object_quat", "object_to_eef"}
    assert not STATE.privileged
    assert vector_feature("observation.environment_state").privileged


def test_modes_select_their_features():
    assert observation_keys() == observation_keys("state") == ("observation.state", "observation.environment_state")
    vision = select_features("vision", ("front", "wrist"))
    assert [f.key for f in vision] == ["observation.state", "observation.images.front", "observation.images.wrist"]
    assert not any(f.privileged for f in vision)
    assert [f.kind for f in vision] == ["vector", "image", "image"]
    with pytest.raises(ConfigError, match="needs at least one camera"):
        select_features("vision")
    with pytest.raises(UnknownNameError, match="'lidar' unknown; known: state, vision"):
        select_features("lidar")
    with pytest.raises(UnknownNameError, match="'observation.foo' unknown"):
        vector_feature("observation.foo")
