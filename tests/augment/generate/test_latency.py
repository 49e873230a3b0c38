"""Generation from laggy, sluggish sources into a laggy domain (issue: Real to sim)."""

from pathlib import Path

import numpy as np
from demoforge.augment.domain.wrapper import make_domain_env
from demoforge.augment.generate import GenerateConfig, generate
from demoforge.augment.generate.runner import predicted_pose
from demoforge.envs.control import ControllerConfig
from demoforge.envs.geometry import axis_angle_to_mat
from demoforge.envs.manipulation_env import ee_action

# Two steps of latency, softer and more damped servos, heavier objects (tests/fixtures/profiles).
KNOWN = Path(__file__).resolve().parents[2] / "fixtures" / "profiles" / "known_shift.toml"


def test_predicted_pose_adds_what_the_actions_in_flight_will_do():
    c = ControllerConfig()
    eef = np.eye(4)
    eef[:3, 3] = [0.5, 0.0, 0.2]
    assert np.array_equal(predicted_pose(eef, [], c), eef)
    a = np.array([0.2, -0.4, 0.0, 0.0, 0.0, 0.3, 1.0])
    b = np.array([0.2, 0.0, 0.6, 0.1, 0.0, 0.0, 1.0])
    pose = predicted_pose(eef, [a, b], c)
    assert np.allclose(pose[:3, 3], eef[:3, 3] + (a[:3] + b[:3]) * c.max_pos_delta)
    turn = axis_angle_to_mat(b[3:6] * c.max_rot_delta) @ axis_angle_to_mat(a[3:6] * c.max_rot_delta)
    assert np.allclose(pose[:3, :3], turn)
    assert np.array_equal(eef[:3, 3], [0.5, 0.0, 0.2])  # the input is left alone


def _overshoot(compensate: bool) -> float:
    """Track a point 8 cm to the side under two steps of latency with the generator's gain;
    how far (m) the TCP runs past it."""
    env = make_domain_env("Lift", KNOWN)
    env.reset(seed=0)
    base, c = env.unwrapped, env.unwrapped.config.controller
    target = base.eef_pose()
    target[1, 3] += 0.08
    worst = 0.0
    for _ in range(40):
        now = base.eef_pose()
        if compensate:
            now = predicted_pose(now, env.episode.pending, c)
        env.step(ee_action(now, target, -1.0, GenerateConfig().tracking_gain, c))
        worst = max(worst, base.eef_pose()[1, 3] - target[1, 3])
    env.close()
    return worst


def test_tracking_from_the_predicted_pose_does_not_ring_under_latency():
    # measured: 94 mm past the point without the prediction, 7 mm with it (the soft servos' own
    # lag, which the prediction does not model)
    assert _overshoot(compensate=False) > 0.03
    assert _overshoot(compensate=True) < 0.012


def test_lift_generation_in_a_laggy_domain_keeps_most_attempts(demo_dataset, tmp_path):
    # Sources and generation both in the known shift. Before latency compensation and the lift's
    # table-height anchor Lift kept 21 % of its attempts here (docs/calibration.md).
    sources = demo_dataset("Lift", episodes=10, profile=str(KNOWN))
    summary = generate(
        sources, tmp_path / "gen", GenerateConfig(num=12, workers=1, profile=str(KNOWN), max_attempts=40)
    )
    assert summary.episodes == 12, summary.to_json()
    assert summary.success_rate >= 0.6, summary.to_json()
