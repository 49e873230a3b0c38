"""Profile files: typed, validated, one-line errors naming the file and key."""

import numpy as np
import pytest
from demoforge.augment.domain.profiles import builtin_profiles, load_profile
from demoforge.augment.domain.wrapper import make_domain_env
from demoforge.envs import TASKS, ConfigError, UnknownNameError
from demoforge.envs.experts import ExpertConfig, run_expert_episode


def test_builtin_profiles_load():
    assert {"nominal", "randomized", "target"} <= set(builtin_profiles())
    nominal = load_profile("nominal")
    assert not any(getattr(nominal, f).enabled for f in ("physics", "visual", "sensor", "action", "scene"))
    target = load_profile("target")
    assert target.action.latency_steps == (1, 1)  # one step of latency, as specified
    # The target domain is a fixed shift: every drawn range is a single value.
    assert all(lo == hi for lo, hi in (target.physics.friction_scale, target.physics.object_mass_scale))


def test_unknown_key_is_named(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\nversion = 1\n[physics]\nenabled = true\nfriction_scal = [0.5, 1.0]\n')
    with pytest.raises(ConfigError, match=r"mine.toml: physics.friction_scal: unknown key"):
        load_profile(path)


def test_bad_values_are_named(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('name = "bad"\nversion = 1\n[physics]\njoint_damping_scale = [2.0, 1.0]\n')
    with pytest.raises(ConfigError, match=r"physics.joint_damping_scale: .*lo > hi"):
        load_profile(path)
    path.write_text('name = "bad"\nversion = 1\n[sensor]\nfrozen_obs_prob = 1.5\n')
    with pytest.raises(ConfigError, match=r"sensor.frozen_obs_prob"):
        load_profile(path)
    path.write_text('name = "bad"\nversion = [1\n')
    with pytest.raises(ConfigError, match=r"bad.toml: not valid TOML"):
        load_profile(path)


def test_unknown_profile_names_the_builtins_and_missing_file_is_named(tmp_path):
    with pytest.raises(UnknownNameError, match="built-in: nominal, randomized, target"):
        load_profile("mars")
    with pytest.raises(FileNotFoundError, match="nope.toml"):
        load_profile(tmp_path / "nope.toml")


def test_a_user_profile_runs(tmp_path):
    path = tmp_path / "slippery.toml"
    path.write_text('name = "slippery"\nversion = 2\n[physics]\nenabled = true\nfriction_scale = [0.4, 0.4]\n')
    env = make_domain_env("Lift", path)
    _, info = env.reset(seed=0)
    assert info["domain"]["profile"] == "slippery" and info["domain"]["physics"]["friction_scale"] == 0.4


@pytest.mark.parametrize("task", list(TASKS))
def test_target_domain_is_a_real_shift_yet_demos_can_be_recorded_there(task):
    seeds = range(20)
    human = [run_expert_episode(make_domain_env(task, "target"), s, ExpertConfig(human_like=True)) for s in seeds]
    wins = sum(ok for ok, _ in human)
    assert wins >= 16, f"{task}: human-like expert solved {wins}/20 in target (need ≥ 80 %)"
    # The shift is felt: the same clean expert needs measurably longer to finish (one step of
    # latency, softer servos, heavier and more slippery objects). Measured +19 % to +38 %.
    nominal = [run_expert_episode(make_domain_env(task, "nominal"), s)[1] for s in seeds]
    target = [run_expert_episode(make_domain_env(task, "target"), s)[1] for s in seeds]
    assert sum(target) > 1.1 * sum(nominal), (sum(nominal), sum(target))


def test_same_actions_move_the_arm_differently_in_target():
    """Physics and actuation are shifted, not only the sensors: one open-loop action sequence,
    from the same initial scene, ends somewhere else."""
    actions = np.random.default_rng(1).uniform(-1, 1, (20, 7)).astype(np.float32)
    ends = {}
    for profile in ("nominal", "target"):
        env = make_domain_env("Lift", profile)
        env.reset(seed=0)
        for a in actions:
            env.step(a)
        ends[profile] = env.unwrapped.eef_pose()[:3, 3].copy()
    assert np.linalg.norm(ends["nominal"] - ends["target"]) > 0.005
