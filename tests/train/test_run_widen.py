"""`demoforge run --reset-widen`: the real demos keep the target's ranges, generation and
evaluation get wide copies of their profiles beside the run (MimicGen's D1)."""

from __future__ import annotations

import pytest
from demoforge.augment.domain.profiles import load_profile
from demoforge.envs import ConfigError
from demoforge.train.run_config import RunConfig
from demoforge.train.run_layout import evaluation_profile, generation_profile


def test_a_narrow_run_uses_its_profiles_as_named(tmp_path):
    config = RunConfig(calibration="off")
    assert (generation_profile(config, tmp_path), evaluation_profile(config, tmp_path)) == ("randomized", "target")
    assert not (tmp_path / "profiles").exists()


def test_a_wide_run_generates_and_evaluates_in_wide_copies_of_its_profiles(tmp_path):
    config = RunConfig(calibration="off", reset_widen=1.5)
    generate, evaluate = generation_profile(config, tmp_path), evaluation_profile(config, tmp_path)
    assert generate == str(tmp_path / "profiles" / "generate_wide.toml")
    assert evaluate == str(tmp_path / "profiles" / "evaluate_wide.toml")
    for path, base in ((generate, "randomized"), (evaluate, "target")):
        wide, narrow = load_profile(path), load_profile(base)
        assert wide.scene.enabled and wide.scene.reset_widen == 1.5 and wide.name == f"{base}_wide1.5"
        # everything else is the base profile's: the same physics, sensors, looks and latency
        assert (wide.physics, wide.visual, wide.sensor, wide.action) == (
            narrow.physics,
            narrow.visual,
            narrow.sensor,
            narrow.action,
        )
        assert wide.scene.object_xy_jitter == narrow.scene.object_xy_jitter
    # asked again (a resumed run), the same files, not rewritten
    stamp = (tmp_path / "profiles" / "generate_wide.toml").stat().st_mtime_ns
    assert generation_profile(config, tmp_path) == generate
    assert (tmp_path / "profiles" / "generate_wide.toml").stat().st_mtime_ns == stamp


@pytest.mark.parametrize("bad", [0.5, 4.5, float("nan")])
def test_a_run_refuses_a_widening_out_of_bounds_in_one_line(bad):
    with pytest.raises(ConfigError, match=r"RunConfig.reset_widen"):
        RunConfig(reset_widen=bad)


def test_lift_runs_on_its_own_smaller_budget_and_every_other_task_on_the_modes():
    lift, stack = RunConfig(task="Lift"), RunConfig(task="Stack")
    assert (lift.synthetic_demos, lift.train_steps) == (1000, 2000)
    assert (stack.synthetic_demos, stack.train_steps) == (2000, None)  # None: the policy's (BC 6000)
    # the steps are BC's: a diffusion Lift run keeps the policy's own, the demos stay Lift's
    diffusion = RunConfig(task="Lift", policy="diffusion")
    assert (diffusion.synthetic_demos, diffusion.train_steps) == (1000, None)
    # what the user sets wins; a vision run keeps the vision mode's
    assert RunConfig(task="Lift", train_steps=6000, synthetic_demos=2000).train_steps == 6000
    assert RunConfig(task="Lift", obs="vision").train_steps == 24000
    # the written config names the numbers used, so --config reproduces the run on any later defaults
    assert RunConfig.model_validate(lift.model_dump()) == lift
