"""Every registered task, through the registry: a new task is covered on day one."""

import demoforge  # (importing it registers the ids)
import gymnasium as gym
import numpy as np
import pytest
from demoforge.envs import TASKS, ConfigError, EnvConfig, ManipulationEnv, UnknownNameError, gym_id, make_task_env
from gymnasium.utils.env_checker import check_env

TASK_NAMES = list(TASKS)


@pytest.mark.parametrize("name", TASK_NAMES)
def test_check_env_passes(name):
    env = gym.make(gym_id(name))
    check_env(env.unwrapped, skip_render_check=True)
    env.close()


@pytest.mark.parametrize("name", TASK_NAMES)
def test_reset_observation_matches_space_and_info_has_every_subtask_signal(name):
    env = make_task_env(name)
    obs, info = env.reset(seed=3)
    assert env.observation_space.contains(obs)
    n = len(env.task.objects)
    assert obs["object_pos"].shape == (3 * n,) and obs["object_quat"].shape == (4 * n,)
    signals = {s.signal for s in env.task.subtasks if s.signal is not None}
    assert signals <= set(info["subtasks"]), f"{name}: subtask signals missing from info"
    assert info["is_success"] is False  # nothing is solved at reset
    # Objects rest on the table at reset, not inside it or above it.
    for i, _body in enumerate(env.task.object_bodies):
        assert obs["object_pos"][3 * i + 2] >= -1e-6, f"{env.task.objects[i]} below the table"


def _rollout(env, seed, actions):
    obs, _ = env.reset(seed=seed)
    trace = [obs]
    for a in actions:
        obs, *_ = env.step(a)
        trace.append(obs)
    return trace


@pytest.mark.parametrize("name", TASK_NAMES)
def test_same_seed_and_actions_give_bit_identical_observations(name):
    env = make_task_env(name)
    actions = np.random.default_rng(0).uniform(-1, 1, (15, 7)).astype(np.float32)
    first = _rollout(env, 11, actions)
    second = _rollout(make_task_env(name), 11, actions)  # a fresh env too, not only a re-reset
    third = _rollout(env, 11, actions)
    for a, b, c in zip(first, second, third):
        for key in a:
            assert a[key].tobytes() == b[key].tobytes() == c[key].tobytes(), key


@pytest.mark.parametrize("name", TASK_NAMES)
def test_different_seeds_give_different_object_layouts(name):
    env = make_task_env(name)
    a, _ = env.reset(seed=1)
    b, _ = env.reset(seed=2)
    assert not np.allclose(a["object_pos"], b["object_pos"])


def test_make_accepts_task_and_env_configs():
    from demoforge.envs.tasks.lift import LiftConfig

    env = gym.make(gym_id("Lift"), task_config=LiftConfig(max_episode_steps=3), config=EnvConfig(control_hz=10))
    env.reset(seed=0)
    assert env.unwrapped.n_substeps == 50
    for _ in range(3):
        *_, terminated, truncated, _ = env.step(np.zeros(7, np.float32))
    assert truncated and not terminated


def test_make_env_takes_a_profile_and_make_task_env_a_task_config():
    wrapped = demoforge.make_env("Lift", "target")
    assert type(wrapped).__name__ == "DomainRandomizationWrapper" and wrapped.profile.name == "target"
    assert type(demoforge.make_env("Lift")) is ManipulationEnv
    with pytest.raises(
        ConfigError, match=r"expected a LiftConfig, got str 'target' \(a domain profile\? use demoforge"
    ):
        make_task_env("Lift", "target")
    from demoforge.envs.tasks.lift import LiftConfig

    with pytest.raises(ConfigError, match="task_config for Stack: expected a StackConfig, got LiftConfig"):
        make_task_env("Stack", LiftConfig())


def test_unknown_task_names_the_known_ones():
    with pytest.raises(UnknownNameError, match="known tasks: Lift, Stack, PickPlace, PegInsert"):
        make_task_env("Pour")
    with pytest.raises(gym.error.Error):
        gym.make("demoforge/Pour-v0")


def test_task_names_resolve_case_insensitively_and_by_gym_id():
    assert make_task_env("lift").task.name == "Lift"
    assert make_task_env("demoforge/Stack-v0").task.name == "Stack"


@pytest.mark.parametrize("name", list(TASKS))
def test_every_task_states_its_language_instruction(name):
    from demoforge.augment.data.record import task_description

    description = TASKS[name].task.description
    assert description and description != name
    assert make_task_env(name).task.description == task_description(name.lower()) == description


def test_gym_ids_have_string_entry_points_that_serialise():
    """Minari stores env.spec as JSON; a function-object entry point cannot be serialised."""
    from gymnasium.envs.registration import EnvSpec

    for name in TASKS:
        spec = gym.spec(gym_id(name))
        assert isinstance(spec.entry_point, str) and ":" in spec.entry_point
        again = EnvSpec.from_json(spec.to_json())
        env = gym.make(again)
        assert isinstance(env.unwrapped, ManipulationEnv) and env.unwrapped.task.name == name
        env.close()


def test_minari_data_collector_records_the_registered_env(tmp_path, monkeypatch):
    minari = pytest.importorskip("minari")
    pytest.importorskip("jax", reason="minari's DataCollector.step needs jax (minari[create])")
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path))
    env = minari.DataCollector(gym.make(gym_id("Lift")), record_infos=False)
    env.reset(seed=0)
    for _ in range(4):
        env.step(env.action_space.sample())
    dataset = env.create_dataset(dataset_id="test/lift-v0", algorithm_name="random", author="test")
    assert dataset.total_steps == 4 and dataset.spec.env_spec.id == gym_id("Lift")
    again = dataset.recover_environment()
    obs, _ = again.reset(seed=0)
    assert again.observation_space.contains(obs)
    env.close()
    again.close()
