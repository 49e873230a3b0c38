"""The one module of pose maths (MuJoCo's conversions behind it), checked against closed forms."""

import numpy as np
import pytest
from demoforge.envs.geometry import (
    axis_angle_to_mat,
    axis_angle_to_quat,
    make_pose,
    mat_to_axis_angle,
    mat_to_pose7,
    mat_to_quat,
    pose7_to_mat,
    pose_inv,
    quat_mul,
    quat_near,
    quat_to_axis_angle,
    quat_to_mat,
    rot_z,
    wrap_angle,
    yaw_of,
    yaw_quat,
)

rng = np.random.default_rng(0)
QUATS = [q / np.linalg.norm(q) for q in rng.normal(size=(20, 4))] + [np.array([1.0, 0, 0, 0]), np.array([0.0, 1, 0, 0])]
VECS = [np.zeros(3), np.array([0.3, -0.2, 0.1]), np.array([0, 0, np.pi - 1e-6]), np.array([1e-13, 0, 0])] + list(
    rng.normal(size=(6, 3))
)


def rodrigues(v):
    """Independent closed form: R = I + sin θ K + (1 − cos θ) K²."""
    angle = np.linalg.norm(v)
    if angle == 0:
        return np.eye(3)
    k = v / angle
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(angle) * kx + (1 - np.cos(angle)) * (kx @ kx)


@pytest.mark.parametrize("q", QUATS)
def test_quaternion_matrix_round_trip(q):
    m = quat_to_mat(q)
    assert np.allclose(m @ m.T, np.eye(3), atol=1e-12) and np.isclose(np.linalg.det(m), 1.0)
    w, x, y, z = q  # the textbook formula's first row and column
    assert np.allclose(m[0], [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], atol=1e-12)
    assert np.allclose(m[:, 0], [1 - 2 * (y * y + z * z), 2 * (x * y + w * z), 2 * (x * z - w * y)], atol=1e-12)
    back = mat_to_quat(m)
    assert back[0] >= 0 and np.allclose(back, q if q[0] >= 0 else -q, atol=1e-9)
    assert np.allclose(mat_to_quat(m.ravel()), back)  # MuJoCo's flat (9,) xmat rows work too


@pytest.mark.parametrize("v", VECS)
def test_axis_angle_round_trip(v):
    m = axis_angle_to_mat(v)
    assert np.allclose(m, rodrigues(v), atol=1e-12)
    assert np.allclose(quat_to_mat(axis_angle_to_quat(v)), m, atol=1e-12)
    back = mat_to_axis_angle(m)
    assert np.linalg.norm(back) <= np.pi + 1e-12
    assert np.allclose(axis_angle_to_mat(back), m, atol=1e-9)
    if np.linalg.norm(v) < np.pi:
        assert np.allclose(back, v, atol=1e-9)


def test_quat_to_axis_angle_takes_the_short_way():
    q = axis_angle_to_quat(np.array([0.0, 0.0, 0.5]))
    assert np.allclose(quat_to_axis_angle(q), [0, 0, 0.5]) and np.allclose(quat_to_axis_angle(-q), [0, 0, 0.5])
    assert np.array_equal(quat_to_axis_angle(np.array([1.0, 0, 0, 0])), np.zeros(3))


@pytest.mark.parametrize("i", range(5))
def test_quat_mul_composes_like_matrices(i):
    a, b = QUATS[i], QUATS[i + 5]
    assert np.allclose(quat_to_mat(quat_mul(a, b)), quat_to_mat(a) @ quat_to_mat(b), atol=1e-12)


def test_yaw_quat_rot_z_and_yaw_agree():
    assert np.allclose(quat_to_mat(yaw_quat(0.7)), rot_z(0.7), atol=1e-12)
    assert np.allclose(axis_angle_to_mat(np.array([0, 0, 0.7])), rot_z(0.7), atol=1e-12)
    assert np.isclose(yaw_of(rot_z(0.7)), 0.7)
    assert np.isclose(wrap_angle(3 * np.pi / 2), -np.pi / 2)


def test_pose7_round_trip_normalizes_stored_quaternions():
    pose = make_pose(np.array([1.0, 2.0, 3.0]), quat_to_mat(QUATS[3]))
    p7 = mat_to_pose7(pose)
    assert p7.shape == (7,) and p7[3] >= 0
    assert np.allclose(pose7_to_mat(p7), pose, atol=1e-12)
    stored = np.tile(p7.astype(np.float32), (2, 3, 1))  # (T, objects, 7) float32, as datasets hold them
    stored[..., 3:] *= 1.001  # not quite unit length
    back = pose7_to_mat(stored)
    assert back.shape == (2, 3, 4, 4) and np.allclose(back, pose, atol=1e-6)


def test_pose_inverse_composes_to_identity():
    pose = make_pose(np.array([0.1, -0.2, 0.3]), quat_to_mat(QUATS[0]))
    assert np.allclose(pose @ pose_inv(pose), np.eye(4), atol=1e-12)


def test_quat_near_picks_the_sign_in_the_references_hemisphere():
    qs = np.array(QUATS)
    ref = QUATS[3]
    near = quat_near(qs, ref)  # (n, 4) at once
    assert np.all(near @ ref >= 0) and np.all(np.abs(near) == np.abs(qs))
    for q, n in zip(qs, near):
        assert np.allclose(quat_to_mat(n), quat_to_mat(q), atol=1e-12)  # the same rotation
    assert np.array_equal(quat_near(qs, np.array([1.0, 0, 0, 0]))[:, 0] >= 0, np.ones(len(qs), bool))  # w ≥ 0


def test_a_gripper_pointing_down_turning_about_z_reads_continuously():
    """The TCP pointing down is ~180° about a horizontal axis (w ≈ 0): canonical w ≥ 0 flips the
    quaternion's sign as it turns, the hemisphere of the home orientation (0, 1, 0, 0) does not."""
    from demoforge.envs.robots import get_robot

    TCP_HOME_QUAT = np.array(get_robot("panda").arm.tcp_home_quat)

    down = quat_to_mat(TCP_HOME_QUAT)
    canonical = np.array([mat_to_quat(rot_z(a) @ down) for a in np.linspace(-3.0, 3.0, 121)])
    assert np.any(np.sum(canonical[1:] * canonical[:-1], 1) < 0)
    near = quat_near(canonical, TCP_HOME_QUAT)
    assert np.all(np.sum(near[1:] * near[:-1], 1) > 0)
