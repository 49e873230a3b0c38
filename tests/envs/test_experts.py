"""Scripted experts solve their tasks: the source of every built-in demonstration."""

import gymnasium as gym
import numpy as np
import pytest
from demoforge.envs import TASKS, make_task_env
from demoforge.envs.experts import ExpertConfig, run_expert_episode

SEEDS = range(20)


@pytest.mark.parametrize("name", list(TASKS))
def test_expert_succeeds_at_least_95_percent(name):
    env = make_task_env(name)
    wins = sum(run_expert_episode(env, seed)[0] for seed in SEEDS)
    assert wins >= 19, f"{name}: expert solved {wins}/{len(SEEDS)}"


@pytest.mark.parametrize("name", list(TASKS))
def test_human_like_expert_is_slower_but_still_succeeds(name):
    env = make_task_env(name)
    clean = [run_expert_episode(env, seed) for seed in range(10)]
    human = [run_expert_episode(env, seed, ExpertConfig(human_like=True)) for seed in range(10)]
    assert sum(ok for ok, _ in human) >= 9
    # Imperfection is real: hesitations and slower phases make episodes longer on average.
    assert sum(n for _, n in human) > sum(n for _, n in clean)


class Recording(gym.Wrapper):
    """Keeps every action the expert sends and every observation the env returns, as bytes."""

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        self.actions, self.observations = [], [_obs_bytes(obs)]
        return obs, info

    def step(self, action):
        self.actions.append(np.asarray(action).tobytes())
        obs, *rest = self.env.step(action)
        self.observations.append(_obs_bytes(obs))
        return obs, *rest


def _obs_bytes(obs: dict) -> bytes:
    return b"".join(key.encode() + np.asarray(obs[key]).tobytes() for key in sorted(obs))


def _rollout(seed: int, cfg: ExpertConfig):
    env = Recording(make_task_env("Stack"))
    result = run_expert_episode(env, seed, cfg)
    return result, env.actions, env.observations


def test_human_like_expert_is_deterministic_by_seed():
    """Same seed: the same episode, every action and observation byte for byte. Another seed:
    other actions."""
    cfg = ExpertConfig(human_like=True)
    (result, actions, observations), again = _rollout(5, cfg), _rollout(5, cfg)
    assert result == again[0]
    assert len(actions) == result[1] and len(observations) == result[1] + 1
    assert _first_difference(actions, again[1]) is None, "same seed, different actions"
    assert _first_difference(observations, again[2]) is None, "same seed, different observations"
    other = _rollout(6, cfg)[1]
    assert _first_difference(actions, other) is not None, "another seed gave the same actions"


def _first_difference(a: list[bytes], b: list[bytes]) -> int | None:
    """The first step at which two recordings differ (in bytes or in length), None if they are equal."""
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), None if len(a) == len(b) else min(len(a), len(b)))
