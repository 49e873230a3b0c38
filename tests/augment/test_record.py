"""The recorder pairs every frame's ground truth with the observation it stores."""

import numpy as np
from demoforge.augment.data.record import rollout
from demoforge.augment.domain.wrapper import make_domain_env
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
