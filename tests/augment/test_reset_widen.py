"""A profile's `scene.reset_widen` draws resets from wider ranges (MimicGen's D1): every task's
objects land outside the ranges their source demos came from, about the same centres."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from demoforge.augment.domain.profiles import Profile, SceneSpec
from demoforge.augment.domain.wrapper import DomainRandomizationWrapper
from demoforge.envs import ConfigError, make_task_env, register_task_file
from demoforge.envs.reset_widen import widen_range, widened_config
from demoforge.envs.scene import WORKSPACE_CENTER
from demoforge.envs.task import Task
from demoforge.envs.tasks.lift import LiftConfig

from ..registrations import registrations_restored

SQUARE = Path(__file__).parents[2] / "examples" / "tasks" / "square.toml"


def wide(scale: float) -> Profile:
    return Profile(name=f"wide{scale:g}", version=1, scene=SceneSpec(enabled=True, reset_widen=scale))


def cube_offsets(profile: Profile, episodes: int = 150) -> np.ndarray:
    env = DomainRandomizationWrapper(make_task_env("Lift"), profile)
    offsets = []
    for seed in range(episodes):
        env.reset(seed=seed)
        offsets.append(env.unwrapped.task.sim.body_pos(env.unwrapped.task.object_bodies[0])[:2] - WORKSPACE_CENTER[:2])
    env.close()
    return np.array(offsets)


def test_a_range_widens_about_its_centre():
    assert widen_range((0.1, 0.3), 2.0) == pytest.approx((0.0, 0.4))
    assert widen_range((-0.08, 0.08), 1.0) == pytest.approx((-0.08, 0.08))


def test_a_built_in_config_widens_every_range_and_nothing_else():
    narrow = LiftConfig()
    w = widened_config(narrow, 1.5, "Lift")
    assert w.x_range == pytest.approx((-0.12, 0.12)) and w.y_range == pytest.approx((-0.18, 0.18))
    assert w.yaw_range == pytest.approx((-1.5 * np.pi / 4, 1.5 * np.pi / 4))
    assert (w.cube_half_size, w.lift_height, w.max_episode_steps) == (
        narrow.cube_half_size,
        narrow.lift_height,
        narrow.max_episode_steps,
    )


def test_lift_resets_reach_past_its_own_ranges_only_in_a_wide_profile():
    narrow_cfg = LiftConfig()
    narrow = cube_offsets(Profile(name="plain", version=1))
    widened = cube_offsets(wide(2.0))
    assert np.all(np.abs(narrow[:, 0]) <= narrow_cfg.x_range[1] + 1e-6)
    assert np.all(np.abs(narrow[:, 1]) <= narrow_cfg.y_range[1] + 1e-6)
    # about a half of the draws fall outside the old box in each axis when it is twice as wide
    outside = (np.abs(widened[:, 0]) > narrow_cfg.x_range[1]) | (np.abs(widened[:, 1]) > narrow_cfg.y_range[1])
    assert outside.mean() > 0.5
    assert np.all(np.abs(widened[:, 0]) <= 2 * narrow_cfg.x_range[1] + 1e-6)
    assert abs(widened[:, 0].mean()) < 0.03 and abs(widened[:, 1].mean()) < 0.04  # the same centre


def test_widening_again_does_not_compound_and_one_returns_the_task_to_its_config():
    env = make_task_env("Lift")
    task = env.unwrapped.task
    task.widen_reset(2.0)
    task.widen_reset(2.0)
    assert task.config.x_range == pytest.approx((-0.16, 0.16))
    task.widen_reset(1.0)
    assert task.config == LiftConfig()
    env.close()


def test_a_task_file_widens_its_bodies_but_keeps_a_stacked_body_on_its_support():
    with registrations_restored():
        name = register_task_file(SQUARE)
        env = make_task_env(name)
        task = env.unwrapped.task
        nut = next(b for b in task.config.bodies if b.name == "nut")
        task.widen_reset(1.5)
        nut = next(b for b in task._narrow_config.bodies if b.name == "nut")
        wide_nut = next(b for b in task.config.bodies if b.name == "nut")
        assert wide_nut.x == pytest.approx(widen_range(nut.x, 1.5))
        assert wide_nut.yaw_deg == pytest.approx(widen_range(nut.yaw_deg, 1.5))
        env.reset(seed=0)  # the wider layout still places every body apart
        env.close()
        # a body resting on another keeps its x/y offsets on that support, and turns wider only
        stacked = dataclasses.replace(nut, on_top_of="peg")
        spec = dataclasses.replace(task.config, bodies=(stacked,))
        (wide_stacked,) = widened_config(spec, 1.5, name).bodies
        assert (wide_stacked.x, wide_stacked.y) == (nut.x, nut.y)
        assert wide_stacked.yaw_deg == pytest.approx(widen_range(nut.yaw_deg, 1.5))


def test_a_task_without_ranges_is_refused_in_one_line_naming_it():
    class Bare(Task):
        name = "Bare"

    with pytest.raises(ConfigError, match="task 'Bare': cannot widen its reset distribution"):
        Bare().widen_reset(1.5)
    Bare().widen_reset(1.0)  # as configured: nothing to widen, nothing refused


@pytest.mark.parametrize("bad", [0.0, -1.0, 4.5])
def test_a_profile_refuses_a_widening_out_of_bounds(bad):
    with pytest.raises(Exception, match="reset_widen"):
        SceneSpec(enabled=True, reset_widen=bad)
