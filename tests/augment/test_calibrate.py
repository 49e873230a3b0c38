"""Calibration finds back the parameters of a domain it is given demos of, says what it cannot
identify, and refuses what it cannot work with."""

from pathlib import Path

import numpy as np
import pytest
from demoforge.augment.data.dataset import Dataset
from demoforge.augment.domain.calibrate import (
    CalibrationConfig,
    CalibrationResult,
    Replayer,
    SplitReplayer,
    calibrate,
    calibrated_profile,
)
from demoforge.augment.domain.profiles import load_profile, save_profile
from demoforge.envs import ConfigError
from demoforge.envs.observation import ENVIRONMENT_STATE, OBJECT_POS
from demoforge.train.cli import main
from registrations import registrations_restored

KNOWN = Path(__file__).resolve().parents[1] / "fixtures" / "profiles" / "known_shift.toml"
TRUTH = {"actuator_gain_scale": 0.7, "joint_damping_scale": 1.8, "object_mass_scale": 1.6, "friction_scale": 1.0}


def _episodes(path: Path) -> list[dict[str, np.ndarray]]:
    ds = Dataset(path)
    return [ds.episode(i, videos=False).data for i in range(len(ds))]


def test_a_few_demos_give_the_latency_and_nothing_confidently_wrong(demo_dataset):
    result = calibrate(
        _episodes(demo_dataset("Lift", 6, profile=str(KNOWN))), "Lift", CalibrationConfig(max_segments=60)
    )
    assert result.latency_steps == 2, result.latency_residuals
    for name, value in result.values.items():  # whatever it claims to know, it knows
        assert abs(value / TRUTH[name] - 1) < 0.15, (name, value, result.stds[name])
    # Lift's 60 g cube barely loads the arm: its mass cannot be told from these demos, and it says so.
    assert "object_mass_scale" in result.not_identified and "object_mass_scale" not in result.values
    assert result.residual_rms < 0.01 and set(result.values) | set(result.not_identified) == set(TRUTH)


@pytest.mark.slow
def test_ten_demos_give_latency_gain_and_damping_back(demo_dataset):
    result = calibrate(demo_dataset("Lift", 10, profile=str(KNOWN)), "Lift")
    assert result.latency_steps == 2
    for name in ("actuator_gain_scale", "joint_damping_scale"):
        assert abs(result.values[name] / TRUTH[name] - 1) < 0.15, (name, result.values[name])
    assert "object_mass_scale" in result.not_identified


SLIP = Path(__file__).resolve().parents[1] / "fixtures" / "profiles" / "known_slip.toml"


@pytest.mark.slow
def test_ten_demos_of_a_cube_slipping_in_the_gripper_give_its_friction_back(demo_dataset):
    result = calibrate(demo_dataset("Lift", 10, profile=str(SLIP)), "Lift")
    assert result.latency_steps == 1
    assert abs(result.values["friction_scale"] / 0.6 - 1) < 0.15, (result.values, result.stds)
    for name in ("actuator_gain_scale", "joint_damping_scale"):  # nominal in this domain
        assert abs(result.values[name] - 1) < 0.15, (name, result.values[name])
    # heavier by 2×, yet a 120 g cube still barely loads the arm: not identified, and said so
    assert "object_mass_scale" in result.not_identified


def test_stretches_shared_among_worker_processes_replay_to_the_same_numbers(demo_dataset):
    """The split changes how long a fit takes, never its numbers: every stretch starts from a
    clean solver state, so three workers give one Replayer's residuals bit for bit."""
    episodes = _episodes(demo_dataset("Lift", 2, profile=str(KNOWN)))
    config = CalibrationConfig(max_segments=12)
    scales = {"actuator_gain_scale": 0.8, "joint_damping_scale": 1.5}
    one = Replayer("Lift", episodes, config)
    split = SplitReplayer("Lift", episodes, config, processes=3)
    try:
        assert len(split.procs) == 3 and split.starts == one.starts
        np.testing.assert_array_equal(split.residuals(scales, 2), one.residuals(scales, 2))
        np.testing.assert_array_equal(split.clusters(), one.clusters())
        with pytest.raises(
            RuntimeError, match="^calibration worker: ValidationError: 1 validation error for PhysicsSpec$"
        ):  # the worker's error, raised here
            split.residuals({"no_such_scale": 1.0}, 1)
        np.testing.assert_array_equal(split.residuals(scales, 1), one.residuals(scales, 1))  # still serving
        split.procs[0].kill()
        split.procs[0].join()
        with pytest.raises(
            RuntimeError, match=r"^calibration worker: its process ended unexpectedly \(killed, [^\n]*\)$"
        ):
            split.residuals(scales, 1)
    finally:
        one.close()
        split.close()
    assert not any(p.is_alive() for p in split.procs)


def test_calibration_workers_know_a_task_registered_at_run_time(their_task, tmp_path):
    import demoforge

    demoforge.register_task(their_task.TheirLift)
    demoforge.register_expert("TheirLift", their_task.their_phases)
    demoforge.collect_demos("TheirLift", 1, tmp_path / "real", profile="nominal", human_like=False)
    episodes, config = _episodes(tmp_path / "real"), CalibrationConfig(max_segments=4)
    one = Replayer("TheirLift", episodes, config)
    split = SplitReplayer("TheirLift", episodes, config, processes=2)
    try:  # a worker that does not know the task dies before serving: "ended unexpectedly"
        np.testing.assert_array_equal(split.clusters(), one.clusters())
    finally:
        one.close()
        split.close()


def test_too_few_demos_and_bad_settings_are_refused_in_one_line(demo_dataset):
    with pytest.raises(ConfigError, match="at least 5 demos"):
        calibrate(demo_dataset("Lift", 3, profile=str(KNOWN)), "Lift")
    with pytest.raises(ConfigError, match="CalibrationConfig.horizon=0"):
        CalibrationConfig(horizon=0)


def test_the_cli_refuses_an_existing_out_before_fitting_and_leaves_it(demo_dataset, tmp_path, capsys):
    out = tmp_path / "cal.json"
    out.write_text("mine")
    assert main(["calibrate", str(demo_dataset("Lift", 6, profile=str(KNOWN))), "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "already exists" in err and out.read_text() == "mine"
    with pytest.raises(SystemExit) as exit_:  # argparse, with the config's own bound
        main(["calibrate", str(tmp_path), "--horizon", "0"])
    assert exit_.value.code == 2 and "expected an integer in 1..50" in capsys.readouterr().err


def _result(**overrides) -> CalibrationResult:
    fields = dict(
        task="Lift",
        latency_steps=2,
        values={"actuator_gain_scale": 0.7, "joint_damping_scale": 1.8},
        stds={"actuator_gain_scale": 0.02, "joint_damping_scale": 0.01},
        not_identified={"object_mass_scale": "too little effect"},
        proprio_noise_std=0.004,
        residual_rms=0.004,
        latency_residuals={0: 0.05, 1: 0.03, 2: 0.004, 3: 0.03},
        segments=100,
        seconds=1.0,
    )
    return CalibrationResult(**{**fields, **overrides})


def test_the_calibrated_profile_is_centred_on_what_was_identified_and_keeps_the_rest(tmp_path):
    randomized = load_profile("randomized")
    profile = calibrated_profile(_result(), "randomized", mode="centre")
    assert profile.action.latency_steps == (2, 2)
    lo, hi = profile.physics.actuator_gain_scale  # ± 2 σ = ± 0.04, the wider of that and ± 5 %
    assert lo == pytest.approx(0.7 - 0.04) and hi == pytest.approx(0.7 + 0.04)
    lo, hi = profile.physics.joint_damping_scale  # ± 2 σ = ± 0.02 is narrower than ± 5 % = ± 0.09
    assert lo == pytest.approx(1.8 - 0.09) and hi == pytest.approx(1.8 + 0.09)
    assert profile.physics.object_mass_scale == randomized.physics.object_mass_scale  # not identified
    assert profile.physics.friction_scale == randomized.physics.friction_scale
    assert profile.visual == randomized.visual and profile.sensor == randomized.sensor
    path = save_profile(profile, tmp_path / "calibrated.toml")
    assert load_profile(path) == profile  # written as the TOML it is read from
    with pytest.raises(ConfigError, match="already exists"):
        save_profile(profile, path)


def test_the_covering_profile_stretches_randomized_only_where_the_real_domain_lies_outside():
    randomized = load_profile("randomized")
    # latency 2 and gain 0.7 ± 0.04 lie outside randomized's 0–1 and 0.75–1.5; damping 1.8 inside 0.5–2
    profile = calibrated_profile(_result(), "randomized")
    assert profile.action.latency_steps == (0, 2)
    assert profile.physics.actuator_gain_scale == (pytest.approx(0.66), 1.5)
    assert profile.physics.joint_damping_scale == randomized.physics.joint_damping_scale
    assert profile.physics.object_mass_scale == randomized.physics.object_mass_scale
    # a domain inside every range (the built-in target's) leaves randomized as it was
    inside = calibrated_profile(_result(latency_steps=1, values={"actuator_gain_scale": 0.8}), "randomized")
    assert inside.physics == randomized.physics and inside.action == randomized.action
    with pytest.raises(ConfigError, match="mode"):
        calibrated_profile(_result(), "randomized", mode="middle")


@pytest.mark.parametrize("task", ["PegInsert", str(Path(__file__).resolve().parents[2] / "examples/tasks/drawer.toml")])
def test_a_replayed_stretch_starts_with_every_object_where_the_demo_saw_it(demo_dataset, task):
    """Fixtures and a drawer's links too, not only free objects: PegInsert's hole used to stay where
    the calibration env's own reset put it, up to 46 mm from the demo's (noise-free demos here, so
    the recorded poses are exact)."""
    with registrations_restored():  # the drawer's file task, registered here, leaves with the test
        episodes = _episodes(demo_dataset(task, 2, profile="nominal"))
        replayer = Replayer(task, episodes, CalibrationConfig(min_demos=2))
        for ep in episodes:
            for t in (0, len(ep["action"]) // 2, len(ep["action"]) - 1):
                replayer.env.reset(seed=0)
                replayer._set_start(ep, t)
                seen = ep[ENVIRONMENT_STATE.key][t][replayer.env_at[OBJECT_POS.key]].reshape(-1, 3)
                np.testing.assert_allclose(replayer.base.data.xpos[replayer.bodies], seen, atol=1e-6)
