"""The recorder pairs every frame's ground truth with the observation it stores."""

import numpy as np
import pytest
from demoforge.augment.data.dataset import Dataset
from demoforge.augment.data.record import rollout
from demoforge.augment.domain.wrapper import make_domain_env
from demoforge.augment.generate import GenerateConfig, generate
from demoforge.envs import TASKS, make_task_env
from demoforge.envs.observation import STATE


def _lift_rollout(steps: int = 12):
    env = make_domain_env("Lift", "nominal")  # no sensor noise: observations are the truth
    rng = np.random.default_rng(0)
    calls = []

    def act(_obs):
        calls.append(env.unwrapped.sim_state().copy())  # the state the action is chosen in
        a = rng.uniform(-1, 1, 7).astype(np.float32)
        return a

    env.unwrapped.task.max_episode_steps = steps
    episode, _ = rollout(env, act, seed=3)
    env.close()
    return episode, np.array(calls)


def test_frame_t_records_the_state_before_action_t():
    """datagen poses and sim.state of frame t describe the scene obs[t] shows — the state action
    t was taken in — not the one after it (they were recorded one step late)."""
    episode, states_before = _lift_rollout()
    data = episode.data
    assert len(data["action"]) == len(states_before) == 12
    np.testing.assert_array_equal(data["sim.state"], states_before)
    eef_obs = data["observation.state"][:, STATE.names(()).index("eef_pos.x") :][:, :3]
    np.testing.assert_allclose(data["datagen.eef_pose"][:, :3], eef_obs, atol=1e-6)
    # the object poses: the cube's stored position is the observed one of the same frame
    np.testing.assert_allclose(
        data["datagen.object_poses"][:, :3], data["observation.environment_state"][:, :3], atol=1e-6
    )
    # and frames differ: a late recording would match the *next* observation instead
    assert not np.allclose(data["datagen.eef_pose"][1:, :3], eef_obs[:-1], atol=1e-4)


# Every task's stored data, recorded (`demoforge collect`) and generated from those recordings ------


@pytest.fixture(scope="module", params=list(TASKS))
def task_datasets(request, demo_dataset, tmp_path_factory):
    """(task, [recorded demos, demos generated from them]) for each registered task."""
    task = request.param
    source = demo_dataset(task, episodes=3)
    out = tmp_path_factory.mktemp("generated") / task.lower()
    generate(source, out, GenerateConfig(num=3, workers=1))
    return task, [Dataset(source), Dataset(out)]


def _quaternion_columns(ds: Dataset) -> dict[str, list[np.ndarray]]:
    """Every stored quaternion, per feature: the (T, 4) runs of columns named `….quat.w` … `.z`."""
    found = {}
    for key, feature in ds.features.items():
        names = feature.get("names") or []
        starts = [i for i, n in enumerate(names) if str(n).endswith("quat.w")]
        if starts:
            found[key] = starts
    return found


def test_orientation_never_flips_sign_between_frames(task_datasets):
    """Consecutive frames' quaternions lie in one hemisphere (q·q' ≥ 0): stored as w ≥ 0, the
    gripper-down TCP (w ≈ 0) jumped between x ≈ +0.93 and −0.94 for nearly the same orientation."""
    task, datasets = task_datasets
    for ds in datasets:
        columns = _quaternion_columns(ds)
        assert {"observation.state", "datagen.eef_pose", "datagen.object_poses"} <= set(columns)
        for i in range(len(ds)):
            data = ds.episode(i).data
            for key, starts in columns.items():
                for s in starts:
                    q = data[key][:, s : s + 4]
                    flips = np.flatnonzero(np.sum(q[1:] * q[:-1], 1) < 0)
                    assert not len(flips), f"{task} {ds.root.name} episode {i} {key}[{s}:{s + 4}] flips at {flips}"


def test_every_subtask_signal_fires_in_every_successful_episode(task_datasets):
    """The last signal (Lift's `lifted`) fires only as the episode ends on success: stored with
    the state before each action it was never true. No signal column is constant."""
    task, datasets = task_datasets
    for ds in datasets:
        names = ds.features["next.subtask_signals"]["names"]
        assert names == list(make_task_env(task).task.signals())
        for i in range(len(ds)):
            data = ds.episode(i).data
            assert data["next.success"][-1]
            fired = data["next.subtask_signals"].any(axis=0)
            assert fired.all(), f"{task} {ds.root.name} episode {i}: {np.array(names)[~fired]} never true"
            assert not data["next.subtask_signals"].all(axis=0).any(), "a signal true from the first frame on"
