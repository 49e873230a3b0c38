"""Rigid-body math on plain numpy arrays.

Conventions (MuJoCo's): quaternions are (w, x, y, z), unit norm; poses are 4×4 homogeneous
matrices mapping points from the local frame to the world; rotation vectors (axis-angle) are
axis · angle in radians. Nothing here touches a simulator, so generation code and tests can use it.
"""

from __future__ import annotations

import numpy as np


def quat_to_mat(q: np.ndarray) -> np.ndarray:
    """(4,) unit quaternion (w, x, y, z) → (3, 3) rotation matrix."""
    w, x, y, z = q
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    )


def mat_to_quat(m: np.ndarray) -> np.ndarray:
    """(3, 3) rotation matrix → (4,) unit quaternion with w ≥ 0 (Shepperd's method)."""
    t = np.trace(m)
    if t > 0:
        s = 2.0 * np.sqrt(1.0 + t)
        q = np.array([0.25 * s, (m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s])
    elif m[0, 0] > m[1, 1] and m[0, 0] > m[2, 2]:
        s = 2.0 * np.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2])
        q = np.array([(m[2, 1] - m[1, 2]) / s, 0.25 * s, (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s])
    elif m[1, 1] > m[2, 2]:
        s = 2.0 * np.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2])
        q = np.array([(m[0, 2] - m[2, 0]) / s, (m[0, 1] + m[1, 0]) / s, 0.25 * s, (m[1, 2] + m[2, 1]) / s])
    else:
        s = 2.0 * np.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1])
        q = np.array([(m[1, 0] - m[0, 1]) / s, (m[0, 2] + m[2, 0]) / s, (m[1, 2] + m[2, 1]) / s, 0.25 * s])
    q /= np.linalg.norm(q)
    return -q if q[0] < 0 else q


def axis_angle_to_mat(v: np.ndarray) -> np.ndarray:
    """(3,) rotation vector (axis · angle, rad) → (3, 3) rotation matrix (Rodrigues)."""
    angle = float(np.linalg.norm(v))
    if angle < 1e-12:
        return np.eye(3)
    k = v / angle
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(angle) * kx + (1 - np.cos(angle)) * (kx @ kx)


def mat_to_axis_angle(m: np.ndarray) -> np.ndarray:
    """(3, 3) rotation matrix → (3,) rotation vector with angle in [0, π]."""
    q = mat_to_quat(m)
    sin_half = np.linalg.norm(q[1:])
    if sin_half < 1e-12:
        return np.zeros(3)
    angle = 2.0 * np.arctan2(sin_half, q[0])
    return q[1:] / sin_half * angle


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
