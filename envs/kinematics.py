"""Forward kinematics: where a robot's TCP is for recorded joint angles, in a task's world frame.

A real robot's dataset records joint angles, not the TCP pose generation transforms; the robot
description (`envs/robots/`) says which joints and which TCP site, and the task's MuJoCo model
says where the arm's base stands. So FK runs on the task env's own model — the same one
generation later drives — on a private `MjData`, through `mj_kinematics` alone (no dynamics, no
contacts): the answer depends on the joint angles and the model, nothing else.
"""

from __future__ import annotations

import mujoco
import numpy as np

from .errors import ConfigError
from .geometry import mat_to_pose7
from .manipulation_env import ManipulationEnv


class ForwardKinematics:
    """TCP poses of `env`'s arm for given arm joint angles (rad, the description's joint order)."""

    def __init__(self, env: ManipulationEnv):
        self.model = env.model
        self.data = mujoco.MjData(env.model)  # private: the env's own state is never touched
        self.arm = env.robot.arm
        self.qpos_adr = np.asarray(env.control.arm_qpos)
        self.tcp_site = mujoco.mj_name2id(env.model, mujoco.mjtObj.mjOBJ_SITE, self.arm.tcp_site)
        self.tcp_home_quat = np.asarray(self.arm.tcp_home_quat, float)

    def closing_axis(self) -> np.ndarray | None:
        """Unit (3,) direction, in the TCP frame, along which the gripper's first finger slides
        (None for fingers on hinges): a parallel-jaw grasp centres what it holds along it."""
        j = mujoco.mj_name2id(self.model, mujoco.mjtObj.mjOBJ_JOINT, self.arm.gripper.finger_joints[0])
        if self.model.jnt_type[j] != mujoco.mjtJoint.mjJNT_SLIDE:
            return None
        self.data.qpos[self.qpos_adr] = self.arm.home
        mujoco.mj_kinematics(self.model, self.data)
        axis = self.data.site_xmat[self.tcp_site].reshape(3, 3).T @ self.data.xaxis[j]
        return axis / np.linalg.norm(axis)

    @property
    def n_joints(self) -> int:
        return self.arm.n_joints

    def tcp_matrices(self, joint_pos: np.ndarray) -> np.ndarray:
        """(T, 4, 4) world-frame TCP poses for joint angles (T, n_joints) rad."""
        q = np.asarray(joint_pos, float)
        if q.ndim != 2 or q.shape[1] != self.n_joints:
            raise ConfigError(
                f"forward kinematics: joint positions of shape {q.shape}, robot {self.arm.joints} needs "
                f"(frames, {self.n_joints})"
            )
        out = np.tile(np.eye(4), (len(q), 1, 1))
        for t, row in enumerate(q):
            self.data.qpos[self.qpos_adr] = row
            mujoco.mj_kinematics(self.model, self.data)
            out[t, :3, :3] = self.data.site_xmat[self.tcp_site].reshape(3, 3)
            out[t, :3, 3] = self.data.site_xpos[self.tcp_site]
        return out

    def tcp_poses(self, joint_pos: np.ndarray) -> np.ndarray:
        """(T, 7) TCP poses, position xyz (m) ‖ quaternion w x y z, world frame; each quaternion
        takes the sign nearer the arm's home TCP orientation, as the recorder stores them."""
        return np.stack([mat_to_pose7(m, near=self.tcp_home_quat) for m in self.tcp_matrices(joint_pos)])
