"""Rigid-body math on plain numpy arrays — the one place pose conversions live.

Conventions (MuJoCo's): quaternions are (w, x, y, z), unit norm; poses are 4×4 homogeneous
matrices mapping points from the local frame to the world; rotation vectors (axis-angle) are
axis · angle in radians; a "pose7" is position (3) ‖ quaternion (4). q and −q are the same
rotation: conversions return w ≥ 0, and what is stored picks the sign nearer a reference
orientation (`quat_near`), so that a slowly turning frame's quaternion never jumps. Rotation conversions call
MuJoCo's own C functions (`mju_quat2Mat`, `mju_mat2Quat`, `mju_quat2Vel`, `mju_mulQuat`,
`mju_axisAngle2Quat`): they need no model or data, so generation code and tests use them freely.
"""

from __future__ import annotations

import mujoco
import numpy as np


def _f64(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64)


def quat_to_mat(q: np.ndarray) -> np.ndarray:
    """(4,) unit quaternion (w, x, y, z) → (3, 3) rotation matrix."""
    m = np.empty(9)
    mujoco.mju_quat2Mat(m, _f64(q))
    return m.reshape(3, 3)


def mat_to_quat(m: np.ndarray) -> np.ndarray:
    """(3, 3) or (9,) rotation matrix → (4,) unit quaternion with w ≥ 0."""
    q = np.empty(4)
    mujoco.mju_mat2Quat(q, _f64(m).reshape(9))
    return -q if q[0] < 0 else q


def quat_near(q: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """q (..., 4) or −q, whichever lies in `reference`'s (4,) hemisphere (q · reference ≥ 0).

    Both are the same rotation; picking the sign by a fixed reference, not by w ≥ 0, keeps the
    values continuous for every orientation within 180° of the reference. w ≥ 0 is this rule for
    the identity, and fails where w ≈ 0: a gripper pointing down is ~180° about a horizontal axis,
    so w ≥ 0 flipped its x and y between about ±0.93 from one frame to the next."""
    q = np.asarray(q)
    return q * np.where(np.sum(q * reference, axis=-1, keepdims=True) < 0, -1.0, 1.0)


def quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product a ⊗ b (rotate by b, then by a)."""
    q = np.empty(4)
    mujoco.mju_mulQuat(q, _f64(a), _f64(b))
    return q


def yaw_quat(yaw: float) -> np.ndarray:
    """(w, x, y, z) for a rotation of `yaw` rad about world z."""
    return np.array([np.cos(yaw / 2), 0.0, 0.0, np.sin(yaw / 2)])


def axis_angle_to_quat(v: np.ndarray) -> np.ndarray:
    """(3,) rotation vector (axis · angle, rad) → (4,) unit quaternion."""
    v = _f64(v)
    angle = float(np.linalg.norm(v))
    if angle < 1e-12:
        return np.array([1.0, 0.0, 0.0, 0.0])
    q = np.empty(4)
    mujoco.mju_axisAngle2Quat(q, v / angle, angle)
    return q


def quat_to_axis_angle(q: np.ndarray) -> np.ndarray:
    """(4,) unit quaternion → (3,) rotation vector with angle in [0, π] (the short way round)."""
    q = _f64(q)
    if np.linalg.norm(q[1:]) < 1e-12:
        return np.zeros(3)
    v = np.empty(3)
    mujoco.mju_quat2Vel(v, q, 1.0)
    return v


def axis_angle_to_mat(v: np.ndarray) -> np.ndarray:
    """(3,) rotation vector (axis · angle, rad) → (3, 3) rotation matrix."""
    return quat_to_mat(axis_angle_to_quat(v))


def mat_to_axis_angle(m: np.ndarray) -> np.ndarray:
    """(3, 3) rotation matrix → (3,) rotation vector with angle in [0, π]."""
    return quat_to_axis_angle(mat_to_quat(m))


def make_pose(pos: np.ndarray, rot: np.ndarray) -> np.ndarray:
    """Position (3,) and rotation matrix (3, 3) → (4, 4) pose."""
    pose = np.eye(4)
    pose[:3, :3] = rot
    pose[:3, 3] = pos
    return pose


def pose_inv(pose: np.ndarray) -> np.ndarray:
    """Inverse of a (4, 4) rigid transform, without a general matrix inverse."""
    inv = np.eye(4)
    inv[:3, :3] = pose[:3, :3].T
    inv[:3, 3] = -pose[:3, :3].T @ pose[:3, 3]
    return inv


def pose7_to_mat(p7: np.ndarray) -> np.ndarray:
    """(..., 7) position + quaternion (w, x, y, z) → (..., 4, 4); quaternions are normalized first
    (stored ones are float32)."""
    p7 = np.asarray(p7, np.float64)
    flat = p7.reshape(-1, 7)
    out = np.tile(np.eye(4), (len(flat), 1, 1))
    out[:, :3, 3] = flat[:, :3]
    for i, q in enumerate(flat[:, 3:]):
        out[i, :3, :3] = quat_to_mat(q / np.linalg.norm(q))
    return out.reshape(*p7.shape[:-1], 4, 4)


IDENTITY_QUAT = np.array([1.0, 0.0, 0.0, 0.0])


def mat_to_pose7(m: np.ndarray, near: np.ndarray = IDENTITY_QUAT) -> np.ndarray:
    """(4, 4) pose → (7,) position + quaternion (w, x, y, z), its sign the one nearer `near`
    (default: w ≥ 0)."""
    return np.concatenate((m[:3, 3], quat_near(mat_to_quat(m[:3, :3]), near)))


def rot_z(angle: float) -> np.ndarray:
    """(3, 3) rotation by `angle` rad about the world z axis."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def yaw_of(rot: np.ndarray) -> float:
    """Heading (rad) of a frame's x axis projected on the world xy plane."""
    return float(np.arctan2(rot[1, 0], rot[0, 0]))


def wrap_angle(a: float | np.ndarray) -> float | np.ndarray:
    """Wrap to [-π, π)."""
    return (a + np.pi) % (2 * np.pi) - np.pi
