"""The policy learns from human-like demonstrations (slow: trains and evaluates a real policy).

Human demos hesitate and hover before decisions for a random number of steps. A policy that
regresses to the median (L1) learns "wait" at those states and stalls forever: on 200 human-like
Stack demos it reached 3/40 in their own domain, against 34/40 for the default (squared error).
This is the reduced version of that measurement; it fails on the L1 policy.

The bar is half the episodes: far above L1's 3/40 and below what the default reaches. It was
14/20 until continuous quaternions (issue 41) moved Stack from 27/40 to 25/40 here, and CI drew
13/20: a 20-episode estimate at 65 % falls under 70 % one time in three, so the test now evaluates
40 episodes.
"""

import pytest
from demoforge.train.evaluate import EvalConfig, evaluate
from demoforge.train.trainer import TrainConfig, train


@pytest.mark.slow
@pytest.mark.parametrize("task", ["Stack", "PickPlace"])
def test_default_policy_learns_from_human_like_demos(task, tmp_path, demo_dataset):
    demos = demo_dataset(task, episodes=100, profile="randomized", human_like=True)
    train(tmp_path / "run", TrainConfig(), synthetic=demos)
    result = evaluate(tmp_path / "run", EvalConfig(profile="randomized", episodes=40, videos=0, workers=2))
    assert result.successes >= 20, f"{task}: {result.successes}/40 in randomized from 100 human-like demos"
