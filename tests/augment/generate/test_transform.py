"""The pose math of generation, exact on synthetic cases (no simulator)."""

import numpy as np
import pytest
from demoforge.augment.generate.stitch import hold_at_gripper_changes, stitch
from demoforge.augment.generate.transform import (
    MAX_ANCHOR_TILT,
    in_hand_correction,
    interpolate_poses,
    least_turn_frame,
    nearest_symmetric_frame,
    target_poses,
    tilt_between,
    transform_segment,
)
from demoforge.envs.geometry import axis_angle_to_mat, make_pose, mat_to_axis_angle, rot_z, yaw_of

rng = np.random.default_rng(0)


def random_pose():
    return make_pose(rng.normal(size=3) * 0.2, axis_angle_to_mat(rng.normal(size=3)))


def test_identity_when_the_object_did_not_move():
    eef = np.stack([random_pose() for _ in range(5)])
    obj = random_pose()
    assert np.allclose(transform_segment(eef, obj, obj), eef, atol=1e-12)


def test_known_rotation_and_translation_carry_the_gripper_rigidly():
    obj_src = make_pose(np.array([0.5, 0.0, 0.02]), np.eye(3))
    motion = make_pose(np.array([0.1, -0.2, 0.0]), rot_z(np.pi / 2))
    obj_new = motion @ obj_src
    eef = np.stack([make_pose(np.array([0.5, 0.0, 0.1 + 0.01 * t]), np.diag([1.0, -1, -1])) for t in range(4)])
    out = transform_segment(eef, obj_src, obj_new)
    # Directly above the object in the source → directly above it now, same heights.
    assert np.allclose(out[:, :2, 3], obj_new[:2, 3], atol=1e-12)
    assert np.allclose(out[:, 2, 3], eef[:, 2, 3], atol=1e-12)
    # The gripper turned with the object: +90° of yaw.
    assert np.isclose(yaw_of(out[0, :3, :3]) - yaw_of(eef[0, :3, :3]), np.pi / 2)
    # Relative pose to the object is preserved exactly for arbitrary poses too.
    eef2 = np.stack([random_pose() for _ in range(3)])
    a, b = random_pose(), random_pose()
    out2 = transform_segment(eef2, a, b)
    assert np.allclose(np.linalg.inv(b) @ out2, np.linalg.inv(a) @ eef2, atol=1e-10)


def test_symmetric_frame_picks_the_nearest_equivalent_yaw():
    src = make_pose(np.zeros(3), rot_z(0.1))
    new = make_pose(np.array([0.3, 0.0, 0.0]), rot_z(0.1 + np.pi / 2 - 0.05))  # a cube turned by ~90°
    out = nearest_symmetric_frame(new, src, 4)
    assert np.isclose(yaw_of(out[:3, :3]), 0.05) and np.allclose(out[:3, 3], new[:3, 3])
    assert np.array_equal(nearest_symmetric_frame(new, src, 1), new)


def test_in_hand_correction_is_identity_for_the_same_grasp_and_follows_the_object_otherwise():
    eef_src, held_src = random_pose(), random_pose()
    move = random_pose()
    assert np.allclose(in_hand_correction(eef_src, held_src, move @ eef_src, move @ held_src), np.eye(4), atol=1e-10)
    # Object sits 1 cm further along the TCP's y now: corrected targets bring the *object* to
    # where the source's object went.
    eef_now = random_pose()
    offset = make_pose(np.array([0.0, 0.01, 0.0]), np.eye(3))
    held_now = eef_now @ np.linalg.inv(eef_src) @ held_src @ offset
    c = in_hand_correction(eef_src, held_src, eef_now, held_now)
    target = random_pose()  # a source target TCP pose; the object would be at target · H_src
    object_then = target @ np.linalg.inv(eef_src) @ held_src
    object_now = (target @ c) @ np.linalg.inv(eef_now) @ held_now
    assert np.allclose(object_now, object_then, atol=1e-10)


def test_interpolation_reaches_the_end_at_constant_rate():
    a, b = make_pose(np.zeros(3), np.eye(3)), make_pose(np.array([0.1, 0.0, 0.0]), rot_z(0.5))
    path = interpolate_poses(a, b, 5)
    assert len(path) == 5 and np.allclose(path[-1], b, atol=1e-12)
    assert np.allclose(np.diff(path[:, 0, 3]), 0.02)
    assert np.allclose([yaw_of(p[:3, :3]) for p in path], np.linspace(0.1, 0.5, 5))


def test_target_poses_apply_the_delta_action_in_the_world_frame():
    eef = np.stack([make_pose(np.array([0.5, 0, 0.2]), np.diag([1.0, -1, -1]))])
    action = np.array([[0.2, 0.0, -0.4, 0.0, 0.0, 0.6, 1.0]])
    t = target_poses(eef, action, 0.05, 0.5)[0]
    assert np.allclose(t[:3, 3], [0.51, 0.0, 0.18])
    assert np.allclose(mat_to_axis_angle(t[:3, :3] @ eef[0, :3, :3].T), [0, 0, 0.3])


def test_stitch_bridges_pauses_and_holds_at_the_grasp_with_the_new_command():
    start = make_pose(np.zeros(3), np.eye(3))
    seg = np.stack([make_pose(np.array([0.1, 0.0, -0.01 * t]), np.eye(3)) for t in range(4)])
    grip = np.array([-1.0, -1.0, 1.0, 1.0])
    seq = stitch(start, -1.0, seg, grip, interpolation_steps=3, fixed_steps=2, gripper_hold_steps=2)
    assert len(seq) == 3 + 2 + 4 + 2
    assert np.allclose(seq.poses[2], seg[0]) and np.allclose(seq.poses[3], seg[0])  # bridge ends there, pause
    # the first closing waypoint is repeated with the close command: the arm waits while the
    # fingers move, never in the same state with the old command (a policy could not tell when to switch)
    assert list(seq.gripper[5:]) == [-1, -1, 1, 1, 1, 1]
    assert np.allclose(seq.poses[7], seg[2]) and np.allclose(seq.poses[8], seg[2]) and np.allclose(seq.poses[9], seg[2])
    assert list(hold_at_gripper_changes(grip, 0)) == [0, 1, 2, 3]


@pytest.mark.parametrize("steps", [0, 1, 7])
def test_interpolation_step_counts(steps):
    assert len(interpolate_poses(random_pose(), random_pose(), steps)) == steps


def test_eef_target_for_object_moves_the_held_object_onto_its_target():
    from demoforge.augment.generate.transform import eef_target_for_object

    eef, held, target = random_pose(), random_pose(), random_pose()
    new_eef = eef_target_for_object(target, held, eef)
    # the grasp is rigid: the object's pose in the TCP frame is unchanged by the move
    held_after = new_eef @ np.linalg.inv(eef) @ held
    assert np.allclose(held_after, target, atol=1e-9)


@pytest.mark.parametrize("goal_deg, turn_deg", [(70, -20), (-70, 20), (30, 30), (0, 0), (135, 45)])
def test_least_turn_frame_turns_a_square_peg_at_most_45_degrees(goal_deg, turn_deg):
    held = make_pose(np.array([0.1, 0.2, 0.3]), rot_z(np.radians(10)))
    goal = make_pose(np.array([0.4, 0.0, 0.1]), rot_z(np.radians(10 + goal_deg)))
    frame = least_turn_frame(held, goal, 4)
    turn = np.degrees(yaw_of(goal[:3, :3]) - yaw_of(frame[:3, :3]))
    assert np.isclose((turn + 180) % 360 - 180, turn_deg) or abs(turn_deg) == 45
    assert abs((turn + 180) % 360 - 180) <= 45 + 1e-6
    np.testing.assert_array_equal(frame[:3, 3], held[:3, 3])  # same body, another of its frames
    # a frame of the same square: rotated by a multiple of 90° about its own vertical
    rel = np.degrees(yaw_of(held[:3, :3].T @ frame[:3, :3]))
    assert np.isclose(rel % 90, 0) or np.isclose(rel % 90, 90)
    assert least_turn_frame(held, goal, 1) is held  # no symmetry: nothing to choose


def test_an_object_is_tipped_over_relative_to_how_its_source_found_it_not_to_world_z():
    lying = make_pose(np.array([0.5, 0.0, 0.02]), axis_angle_to_mat(np.array([np.pi / 2, 0.0, 0.0])))
    upright = make_pose(np.array([0.5, 0.0, 0.02]), rot_z(0.7))
    # a bottle that lies in its source demos and lies now (turned about world z) is not tipped over
    turned_lying = make_pose(lying[:3, 3], rot_z(1.1) @ lying[:3, :3])
    assert tilt_between(turned_lying, lying) < 1e-9 < MAX_ANCHOR_TILT
    # one that stood in the source and lies now is, and so is one that lay and now stands
    assert tilt_between(lying, upright) == pytest.approx(np.pi / 2)
    assert tilt_between(upright, lying) > MAX_ANCHOR_TILT
    # a small wobble is not
    wobble = make_pose(upright[:3, 3], axis_angle_to_mat(np.array([0.2, 0.0, 0.0])) @ upright[:3, :3])
    assert tilt_between(wobble, upright) == pytest.approx(0.2) and 0.2 < MAX_ANCHOR_TILT
