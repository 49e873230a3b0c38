import numpy as np
import pytest
from demoforge.envs.geometry import (
    axis_angle_to_mat,
    make_pose,
    mat_to_axis_angle,
    mat_to_quat,
    pose_inv,
    quat_to_mat,
    rot_z,
    wrap_angle,
    yaw_of,
)

rng = np.random.default_rng(0)
QUATS = [q / np.linalg.norm(q) for q in rng.normal(size=(20, 4))] + [np.array([1.0, 0, 0, 0]), np.array([0.0, 1, 0, 0])]


@pytest.mark.parametrize("q", QUATS)
def test_quaternion_matrix_round_trip(q):
    m = quat_to_mat(q)
    assert np.allclose(m @ m.T, np.eye(3), atol=1e-12) and np.isclose(np.linalg.det(m), 1.0)
    back = mat_to_quat(m)
    assert np.allclose(back, q if q[0] >= 0 else -q, atol=1e-9)


@pytest.mark.parametrize(
    "v", [np.zeros(3), np.array([0.3, -0.2, 0.1]), np.array([0, 0, np.pi - 1e-6]), rng.normal(size=3)]
)
def test_axis_angle_round_trip(v):
    m = axis_angle_to_mat(v)
    back = mat_to_axis_angle(m)
    assert np.allclose(axis_angle_to_mat(back), m, atol=1e-9)
    if np.linalg.norm(v) < np.pi:
        assert np.allclose(back, v, atol=1e-9)


def test_pose_inverse_composes_to_identity():
    pose = make_pose(np.array([0.1, -0.2, 0.3]), quat_to_mat(QUATS[0]))
    assert np.allclose(pose @ pose_inv(pose), np.eye(4), atol=1e-12)


def test_yaw_and_wrap():
    assert np.isclose(yaw_of(rot_z(0.7)), 0.7)
    assert np.isclose(wrap_angle(3 * np.pi / 2), -np.pi / 2)
