"""Put a task's objects where an observation says they are: free objects by their free joint,
fixtures by their mocap pose, and the links of an articulated fixture (a drawer, its handle) by
solving for the joints that carry them.

Calibration replays stretches of recorded demos from their recorded states, and a recording holds
object poses, not joint values: a drawer's slide or a lid's hinge has to be read back from where its
links were seen. Setting free objects alone left a randomly placed fixture (PegInsert's hole, a
cabinet) where the env's own reset had put it, up to 5 cm from where the demo saw it.
"""

from __future__ import annotations

import mujoco
import numpy as np

FREE, MOCAP, LINK = "free", "mocap", "link"
ARTICULATION = (int(mujoco.mjtJoint.mjJNT_SLIDE), int(mujoco.mjtJoint.mjJNT_HINGE))
ROTATION_LENGTH = 0.1  # m per rad: how a link's orientation error weighs against its position error
SOLVE_STEPS = 8  # Gauss-Newton steps; a slide is linear (one step), a hinge converges in a few
FD_STEP = 1e-4  # m or rad: finite-difference step of the joints' Jacobian


def _kind(model: mujoco.MjModel, body: int) -> str:
    if model.body_mocapid[body] >= 0:
        return MOCAP
    if model.body_jntnum[body] == 1 and model.jnt_type[model.body_jntadr[body]] == mujoco.mjtJoint.mjJNT_FREE:
        return FREE
    return LINK


def link_joints(model: mujoco.MjModel, bodies) -> list[int]:
    """The slide and hinge joints between each link body and its mocap (or world) root, once each."""
    joints: list[int] = []
    for body in bodies:
        b = int(body)
        while b > 0 and model.body_mocapid[b] < 0:
            for j in range(model.body_jntadr[b], model.body_jntadr[b] + model.body_jntnum[b]):
                if model.jnt_type[j] in ARTICULATION and j not in joints:
                    joints.append(int(j))
            b = int(model.body_parentid[b])
    return joints


class ObjectPlacer:
    """Places the objects `bodies` (body ids, in the order poses are given) of one model."""

    def __init__(self, model: mujoco.MjModel, bodies):
        self.model, self.bodies = model, [int(b) for b in bodies]
        self.kinds = [_kind(model, b) for b in self.bodies]
        self.links = [k for k, kind in enumerate(self.kinds) if kind == LINK]
        self.joints = link_joints(model, [self.bodies[k] for k in self.links])
        self.qadr = np.array([model.jnt_qposadr[j] for j in self.joints], int)
        self.dofadr = np.array([model.jnt_dofadr[j] for j in self.joints], int)

    def place(self, data: mujoco.MjData, pos: np.ndarray, quat: np.ndarray) -> None:
        """Set `data` so the objects sit at `pos` (n, 3) and `quat` (n, 4, w x y z), then run the
        kinematics. Links get the joint values whose poses fit theirs best (least squares)."""
        m = self.model
        for k, body in enumerate(self.bodies):
            q = quat[k] / np.linalg.norm(quat[k])
            if self.kinds[k] == FREE:
                adr, vadr = m.jnt_qposadr[m.body_jntadr[body]], m.jnt_dofadr[m.body_jntadr[body]]
                data.qpos[adr : adr + 3], data.qpos[adr + 3 : adr + 7] = pos[k], q
                data.qvel[vadr : vadr + 6] = 0.0
            elif self.kinds[k] == MOCAP:
                data.mocap_pos[m.body_mocapid[body]], data.mocap_quat[m.body_mocapid[body]] = pos[k], q
        mujoco.mj_kinematics(m, data)
        if len(self.joints):
            self._solve_links(data, pos, quat)
            data.qvel[self.dofadr] = 0.0

    def _link_error(self, data: mujoco.MjData, pos: np.ndarray, quat: np.ndarray) -> np.ndarray:
        out = []
        for k in self.links:
            body = self.bodies[k]
            out.append(data.xpos[body] - pos[k])
            rot = np.zeros(3)  # the rotation from the wanted orientation to the link's, as a vector
            diff = np.zeros(4)
            mujoco.mju_negQuat(diff, quat[k] / np.linalg.norm(quat[k]))
            mujoco.mju_mulQuat(diff, data.xquat[body], diff)
            mujoco.mju_quat2Vel(rot, diff, 1.0)
            out.append(ROTATION_LENGTH * rot)
        return np.concatenate(out)

    def _solve_links(self, data: mujoco.MjData, pos: np.ndarray, quat: np.ndarray) -> None:
        m, lo, hi = self.model, self.model.jnt_range[self.joints, 0], self.model.jnt_range[self.joints, 1]
        limited = m.jnt_limited[self.joints].astype(bool)
        for _ in range(SOLVE_STEPS):
            err = self._link_error(data, pos, quat)
            jac = np.empty((err.size, len(self.joints)))
            for i, adr in enumerate(self.qadr):
                data.qpos[adr] += FD_STEP
                mujoco.mj_kinematics(m, data)
                jac[:, i] = (self._link_error(data, pos, quat) - err) / FD_STEP
                data.qpos[adr] -= FD_STEP
            step = np.linalg.lstsq(jac, -err, rcond=None)[0]
            q = data.qpos[self.qadr] + step
            data.qpos[self.qadr] = np.where(limited, np.clip(q, lo, hi), q)
            mujoco.mj_kinematics(m, data)
            if np.max(np.abs(step)) < 1e-7:
                break
