"""Scripted experts solve their tasks: the source of every built-in demonstration."""

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


def test_human_like_expert_is_deterministic_by_seed():
    env = make_task_env("Stack")
    cfg = ExpertConfig(human_like=True)
    assert run_expert_episode(env, 5, cfg) == run_expert_episode(env, 5, cfg)
