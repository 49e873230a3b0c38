"""MimicGen's core pose math, as pure functions on (4, 4) poses: no simulator needed to test it.

A source segment's end-effector poses are re-expressed relative to the segment's reference
object, then placed relative to where that object is now:

    T_eef_new = T_obj_new · T_obj_src⁻¹ · T_eef_src
"""

from __future__ import annotations

import numpy as np

from ...envs.geometry import (
    axis_angle_to_mat,
    make_pose,
    mat_to_axis_angle,
    pose_inv,
    rot_z,
    wrap_angle,
    yaw_of,
)


def transform_segment(eef_src: np.ndarray, obj_src: np.ndarray, obj_new: np.ndarray) -> np.ndarray:
    """(T, 4, 4) source TCP poses → (T, 4, 4) poses with the same motion relative to the object,
    which moved from `obj_src` (4, 4) to `obj_new` (4, 4)."""
    return obj_new @ pose_inv(obj_src) @ eef_src


def in_hand_correction(
    eef_src: np.ndarray, held_src: np.ndarray, eef_now: np.ndarray, held_now: np.ndarray
) -> np.ndarray:
    """(4, 4) right-hand correction C for a segment that carries a held object: with
    T_eef_new = T_obj_new · T_obj_src⁻¹ · T_eef_src · C, the *held object* (not the gripper)
    follows the source's path relative to the reference object, absorbing how differently the
    object now sits in the hand. C = H_src · H_now⁻¹ with H the object's pose in the TCP frame;
    C = I when the grasp is the same as the source's, which is MimicGen's transform."""
    h_src = pose_inv(eef_src) @ held_src
    h_now = pose_inv(eef_now) @ held_now
    return h_src @ pose_inv(h_now)


def eef_target_for_object(object_target: np.ndarray, held_now: np.ndarray, eef_now: np.ndarray) -> np.ndarray:
    """(4, 4) TCP pose that puts a rigidly held object at `object_target`, given the object's and
    the TCP's poses now: the grasp (T_eef⁻¹ · T_obj) is kept, only its placement changes."""
    return object_target @ pose_inv(held_now) @ eef_now


# An anchor object whose z axis stands more than this far from its source's was knocked over
# (cos 0.9: ~26°); a tilt this large no longer maps the source's motion onto the object sensibly.
MAX_ANCHOR_TILT = float(np.arccos(0.9))


def tilt_between(obj_now: np.ndarray, obj_src: np.ndarray) -> float:
    """How far (rad) an object now is tipped from how a source demo found it: the difference of
    their z axes' angles from world z. Relative to the source, not to world z, so an object that
    rests on its side (a bottle lying down, a mesh whose frame is not z-up) is not called tipped
    over for it; and blind to turns about world z, which the transform follows anyway."""
    elevation = [float(np.arccos(np.clip(pose[2, 2], -1.0, 1.0))) for pose in (obj_now, obj_src)]
    return abs(elevation[0] - elevation[1])


def nearest_symmetric_frame(obj_new: np.ndarray, obj_src: np.ndarray, fold: int) -> np.ndarray:
    """Among the `fold` equivalent frames of a body with `fold`-fold symmetry about its z axis
    (a cube: 4), the one whose yaw is nearest the source object's. Without this, a cube turned by
    80° would make the transformed grasp spin the wrist by 80° when 10° the other way is the same
    grasp."""
    if fold <= 1:
        return obj_new
    step = 2 * np.pi / fold
    diff = yaw_of(obj_src[:3, :3]) - yaw_of(obj_new[:3, :3])
    k = np.round(diff / step)
    out = obj_new.copy()
    out[:3, :3] = obj_new[:3, :3] @ rot_z(k * step)
    return out


def target_poses(eef: np.ndarray, actions: np.ndarray, max_pos: float, max_rot: float) -> np.ndarray:
    """(T, 4, 4) controller targets of ee_delta actions taken at TCP poses `eef` (T, 4, 4):
    position + a[:3]·max_pos, rotation exp(a[3:6]·max_rot) · R (world frame). MimicGen transforms
    these targets, not the measured poses, so the replay aims where the demonstrator aimed."""
    out = eef.copy()
    out[:, :3, 3] += actions[:, :3] * max_pos
    for t in range(len(eef)):
        out[t, :3, :3] = axis_angle_to_mat(actions[t, 3:6] * max_rot) @ eef[t, :3, :3]
    return out


def interpolate_poses(start: np.ndarray, end: np.ndarray, steps: int) -> np.ndarray:
    """(steps, 4, 4) poses from `start` (exclusive) to `end` (inclusive): linear in position,
    constant-rate rotation about one axis (the geodesic, i.e. slerp)."""
    if steps <= 0:
        return np.zeros((0, 4, 4))
    rel = mat_to_axis_angle(end[:3, :3] @ start[:3, :3].T)
    out = []
    for k in range(1, steps + 1):
        a = k / steps
        out.append(
            make_pose(start[:3, 3] + a * (end[:3, 3] - start[:3, 3]), axis_angle_to_mat(a * rel) @ start[:3, :3])
        )
    return np.stack(out)


def least_turn_frame(held_now: np.ndarray, goal: np.ndarray, fold: int) -> np.ndarray:
    """Among the `fold` equivalent frames of a symmetric carried object (a square peg: 4) as it
    sits now, the one whose yaw is nearest its `goal` pose's: the object then turns at most
    180°/fold on the way. Picking the frame nearest the source's held object instead
    (`nearest_symmetric_frame`) can ask a square peg to turn 70° when 20° the other way is the same
    insertion — and which one depends on the source segment, so the same scene gets opposite turns
    in different demos, which a policy averages to none."""
    if fold <= 1:
        return held_now
    step = 2 * np.pi / fold
    k = np.round(wrap_angle(yaw_of(goal[:3, :3]) - yaw_of(held_now[:3, :3])) / step)
    out = held_now.copy()
    out[:3, :3] = held_now[:3, :3] @ rot_z(k * step)
    return out
