"""End-effector control: damped-least-squares IK onto joint position servos.

The IK runs once per control step (20 Hz), the servos at the physics rate (500 Hz). Solving at
the control rate rather than computing operational-space torques every physics step is what lets
`env.step` stay close to the raw `mj_step` speed limit.
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np

from . import robot


@dataclass(frozen=True)
class ControllerConfig:
    max_pos_delta: float = 0.05  # m per control step at |action| = 1 (robosuite OSC output_max)
    max_rot_delta: float = 0.5  # rad per control step at |action| = 1
    damping: float = 0.05  # DLS λ; trades accuracy near singularities for bounded joint steps
    nullspace_gain: float = 0.05  # pull per step toward the home posture, inside the task null space

    def __post_init__(self) -> None:
        for field in ("max_pos_delta", "max_rot_delta", "damping"):
            if getattr(self, field) <= 0:
                raise ValueError(f"ControllerConfig.{field}={getattr(self, field)} must be > 0")


class EndEffectorController:
    """Maps a world-frame TCP displacement (dpos m, drot axis-angle rad) to arm joint targets."""

    def __init__(self, model: mujoco.MjModel, data: mujoco.MjData, config: ControllerConfig):
        self.model, self.data, self.config = model, data, config
        self.site = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_SITE, "tcp")
        joints = [mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, j) for j in robot.ARM_JOINTS]
        self.qpos_idx = np.array([model.jnt_qposadr[j] for j in joints])
        self.dof_idx = np.array([model.jnt_dofadr[j] for j in joints])
        self._jacp = np.zeros((3, model.nv))
        self._jacr = np.zeros((3, model.nv))
        self._reg = (config.damping**2) * np.eye(6)

    def joint_targets(self, dpos: np.ndarray, drot: np.ndarray) -> np.ndarray:
        """(7,) joint position targets that move the TCP by (dpos, drot) from where it is now."""
        mujoco.mj_jacSite(self.model, self.data, self._jacp, self._jacr, self.site)
        jac = np.vstack((self._jacp[:, self.dof_idx], self._jacr[:, self.dof_idx]))
        error = np.concatenate((dpos, drot))
        return dls_joint_targets(jac, self.data.qpos[self.qpos_idx], error, self._reg, self.config.nullspace_gain)


def dls_joint_targets(
    jac: np.ndarray, q: np.ndarray, error: np.ndarray, reg: np.ndarray, nullspace_gain: float
) -> np.ndarray:
    """Joint targets (..., 7) that move the TCP by `error` (..., 6: dpos ‖ drot) from joint
    positions q (..., 7), given the TCP Jacobian (..., 6, 7) and the DLS term reg = λ²·I (6, 6).
    Leading axes are independent problems (the batched generation runner steps N at once); each
    is solved by the same per-matrix BLAS/LAPACK calls whatever N is, so a row's result does not
    depend on the rows beside it."""
    jac_t = np.swapaxes(jac, -1, -2)
    jac_pinv = jac_t @ np.linalg.inv(jac @ jac_t + reg)
    dq = (jac_pinv @ error[..., None])[..., 0]
    # Secondary goal: drift toward the home posture without disturbing the TCP motion.
    pull = nullspace_gain * (robot.HOME_QPOS - q)
    dq += ((np.eye(7) - jac_pinv @ jac) @ pull[..., None])[..., 0]
    return np.clip(q + dq, robot.JOINT_LOWER, robot.JOINT_UPPER)
