"""Idle compression of source segments, and the idle fraction every recorded episode carries."""

import numpy as np
from demoforge.augment.data.dataset import Dataset
from demoforge.augment.data.idle import idle_fraction, progress_mask
from demoforge.augment.generate import GenerateConfig, generate
from demoforge.envs.geometry import make_pose, rot_z


def active_waypoints(poses, gripper, min_motion, min_rotation, keep_after_switch):
    mask = progress_mask(poses[:, :3, 3], gripper, poses[:, :3, :3], min_motion, min_rotation, keep_after_switch)
    return np.flatnonzero(mask)


def _path(xs: list[float], yaw: list[float] | None = None) -> np.ndarray:
    yaw = yaw or [0.0] * len(xs)
    return np.stack([make_pose(np.array([x, 0.0, 0.1]), rot_z(a)) for x, a in zip(xs, yaw)])


def test_pauses_and_hovering_are_dropped_motion_is_kept():
    # moving 1 cm a step, a 4-step pause, 3 steps hovering within 2 mm, then moving again
    xs = [0.00, 0.01, 0.02, 0.02, 0.02, 0.02, 0.02, 0.021, 0.019, 0.022, 0.03, 0.04]
    keep = active_waypoints(_path(xs), np.full(len(xs), -1.0), 0.005, 0.05, 6)
    assert list(keep) == [0, 1, 2, 10, 11]


def test_gripper_switch_and_the_fingers_motion_after_it_are_kept():
    xs = [0.0, 0.01] + [0.01] * 8 + [0.02]
    grip = np.array([-1.0, -1.0, -1.0] + [1.0] * 8)
    keep = active_waypoints(_path(xs), grip, 0.005, 0.05, 3)
    # frame 2 waits (dropped), frame 3 is the close command, 3 more frames while the fingers
    # close, then idle until the last frame
    assert list(keep) == [0, 1, 3, 4, 5, 6, 10]


def test_turning_in_place_is_motion():
    yaw = [0.0, 0.1, 0.2, 0.2, 0.3]
    keep = active_waypoints(_path([0.0] * 5, yaw), np.full(5, -1.0), 0.005, 0.05, 0)
    assert list(keep) == [0, 1, 2, 4]


def test_zero_thresholds_replay_verbatim():
    xs = [0.0, 0.0, 0.0, 0.01]
    assert list(active_waypoints(_path(xs), np.full(4, -1.0), 0.0, 0.0, 0)) == [0, 1, 2, 3]


def test_idle_fraction_counts_frames_without_progress_or_gripper_change():
    pos = np.array([[0, 0, 0], [0.01, 0, 0], [0.012, 0, 0], [0.009, 0, 0], [0.02, 0, 0]], float)
    assert idle_fraction(pos, np.full(5, -1.0)) == 0.4  # frames 2 and 3 hover within 5 mm
    assert idle_fraction(pos, np.array([-1.0, -1.0, 1.0, 1.0, 1.0])) == 0.0  # the fingers are closing


def test_generated_demos_wait_less_than_their_human_like_sources(lift_sources, tmp_path):
    src = Dataset(lift_sources)
    src_idle = np.mean([src.meta(i)["idle_fraction"] for i in range(len(src))])
    generate(lift_sources, tmp_path / "c", GenerateConfig(num=6, workers=1))
    generate(lift_sources, tmp_path / "v", GenerateConfig(num=6, workers=1, idle_min_motion=0, idle_min_rotation=0))
    idle = {k: np.mean([m["idle_fraction"] for m in map(Dataset(tmp_path / k).meta, range(6))]) for k in "cv"}
    assert src_idle > 0.05  # the human-like expert hesitates
    # verbatim replay copies the waiting; compression drops most of it
    assert idle["c"] < 0.6 * idle["v"]


def test_quiet_steps_cover_gripper_switches_and_the_segment_end():
    from demoforge.augment.generate.runner import quiet_steps

    grip = np.array([-1.0] * 6 + [1.0] * 6)
    assert list(np.flatnonzero(quiet_steps(grip, 2))) == [4, 5, 6, 10, 11]
    assert not quiet_steps(grip, 0).any()


def _segment(xs: list[float], gripper: list[float], yaw: list[float] | None = None):
    from demoforge.augment.generate.segment import SourceSegment

    targets = _path(xs, yaw)
    objects = targets[:, None] @ make_pose(np.array([0.0, 0.0, -0.05]), rot_z(0.0))[None, None]
    return SourceSegment(0, 1, 0, len(xs), targets, np.array(gripper), targets[0], targets[0], objects[0], objects)


def test_a_swing_that_comes_back_is_skipped_and_the_ends_and_switches_stay():
    from demoforge.augment.generate.compress import shortcut_loops

    # out 2 cm and back to within 3 mm of frame 1 (an operator overshooting under latency), then on
    xs = [0.00, 0.01, 0.02, 0.03, 0.02, 0.012, 0.02, 0.03, 0.04]
    seg = _segment(xs, [1.0] * len(xs))
    short = shortcut_loops(seg, 0.005)
    assert short.targets[:, 0, 3].round(3).tolist() == [0.0, 0.01, 0.012, 0.02, 0.03, 0.04]
    assert np.allclose(short.object_targets[:, 0, 0, 3], short.targets[:, 0, 3])  # carried with it
    assert shortcut_loops(seg, 0.0) is seg  # off
    # no loop across a gripper switch (the fingers closing there must be replayed): closing at
    # frame 4, only the closed part's own return (frame 4 → 6) is skipped
    grip = [-1.0] * 4 + [1.0] * 5
    assert shortcut_loops(_segment(xs, grip), 0.005).targets[:, 0, 3].round(3).tolist() == [
        0.0,
        0.01,
        0.02,
        0.03,
        0.02,
        0.02,
        0.03,
        0.04,
    ]
    # a return to the same place turned round is not a loop
    turned = shortcut_loops(_segment(xs, [1.0] * len(xs), [0.0, 0.0, 0.0, 0.0, 0.3, 0.6, 0.9, 1.2, 1.5]), 0.005)
    assert len(turned.targets) == len(xs)
