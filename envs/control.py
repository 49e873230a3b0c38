"""Actions → motor commands: the one path from a policy's action to the servos' `ctrl`.

Everyone who turns actions into controls calls this module: `ManipulationEnv.step/reset/
set_sim_state` (one simulation, its MjData), the batched generation runner (N simulations in
lockstep, their MjData fields as (N, ...) arrays) and the domain wrapper's perturbations (latency,
action noise). What depends on the control mode lives here and nowhere else.

Control modes (`EnvConfig.control_mode`):

- `ee_delta`, action (7,) in [−1, 1] for any arm: TCP displacement (3, × `max_pos_delta` m) and world-frame
  rotation vector (3, × `max_rot_delta` rad), then the gripper. Damped-least-squares IK turns it
  into arm joint targets once per control step (20 Hz); the joint position servos track them at
  the physics rate (500 Hz). Solving at the control rate rather than computing operational-space
  torques every physics step is what lets `env.step` stay close to the raw `mj_step` speed limit.
- `joint_pos`, action (N + 1,): the arm's N joint targets (rad, within the joint limits), then the
  gripper.

The gripper entry is −1 open … +1 closed; each finger servo gets `GripperDescription.target` of it.

`ctrl` layout: the robot's (`RobotDescription.arm_ctrl`, `.gripper_ctrl`: the arm servos, then the
finger servos, checked against the model's actuator names when a `Control` is built); other
entries, if a scene had any, are left as they are. Joint names, counts, limits, home posture and IK
settings are the robot description's (`envs/robots/`).

Single and batched forms are the same code: functions take arrays with any leading axes (one
simulation: none; the batched runner: (N,)), and every operation is per row, so a row's controls
are the same bytes whether it is computed alone or beside others. The two Jacobian readers are the
exception in form only: `jacobian` asks MuJoCo (`mj_jacSite`) of one MjData, `jacobian_rows`
does `mj_jacSite`'s arithmetic term for term on the derived arrays the batched runner reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import gymnasium as gym
import mujoco
import numpy as np

from .errors import InvalidActionError, UnknownNameError
from .robots import ArmDescription, RobotDescription

ControlMode = Literal["ee_delta", "joint_pos"]
CONTROL_MODES = ("ee_delta", "joint_pos")

# Action noise in joint_pos mode, in rad on each joint target per unit of the profile's
# `noise_std` ("action units", ee_delta's scale). One unit of ee_delta noise moves the TCP by
# max_pos_delta = 0.05 m per axis (rms 0.05·√3 ≈ 0.087 m); independent noise σ on the Panda's joint
# targets moves it by σ·‖J_pos‖_F, and ‖J_pos‖_F ≈ 1.19 m at its home posture, so σ ≈ 0.073 rad
# per unit moves the TCP about as far. The randomized profile's 0.03 is then ≈ 2 mrad per joint.
# (ee_delta noise is a displacement, so it random-walks; joint_pos noise sits on absolute targets
# and does not accumulate.)
JOINT_NOISE_RAD_PER_UNIT = 0.07


@dataclass(frozen=True)
class ControllerConfig:
    max_pos_delta: float = 0.05  # m per control step at |action| = 1 (robosuite OSC output_max)
    max_rot_delta: float = 0.5  # rad per control step at |action| = 1
    # The IK's damping and null-space pull are the robot's (`IKSettings` in its description).

    def __post_init__(self) -> None:
        for field in ("max_pos_delta", "max_rot_delta"):
            if getattr(self, field) <= 0:
                raise ValueError(f"ControllerConfig.{field}={getattr(self, field)} must be > 0")


TWIST_DIM = 6  # a TCP motion: displacement (3) ‖ rotation vector (3), the IK's task rows, for every arm
EE_DELTA_DIM = TWIST_DIM + 1  # ee_delta's action width for every arm: the TCP motion, then the gripper


def action_space(mode: ControlMode, arm: ArmDescription) -> gym.spaces.Box:
    """The action space of a control mode for `arm` (see the module docstring)."""
    if mode == "ee_delta":
        return gym.spaces.Box(-1.0, 1.0, shape=(EE_DELTA_DIM,), dtype=np.float32)
    low = np.append(arm.lower, -1.0).astype(np.float32)
    high = np.append(arm.upper, 1.0).astype(np.float32)
    return gym.spaces.Box(low, high, dtype=np.float32)


@dataclass(frozen=True)
class IKSolve:
    """An arm's DLS IK terms as arrays, built once (`of`): the regulariser reg = λ²·I (6, 6), the
    home posture the null space pulls toward, the joint limits, and the task-row weights (None:
    all 1, the plain solve)."""

    reg: np.ndarray
    nullspace_gain: float
    home: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    weights: np.ndarray | None = None

    @classmethod
    def of(cls, arm: ArmDescription) -> IKSolve:
        ik = arm.ik
        weights = None
        if (ik.position_weight, ik.orientation_weight) != (1.0, 1.0):
            weights = np.repeat([ik.position_weight, ik.orientation_weight], 3)
        return cls((ik.damping**2) * np.eye(TWIST_DIM), ik.nullspace_gain, arm.home, arm.lower, arm.upper, weights)


def dls_joint_targets(jac: np.ndarray, q: np.ndarray, error: np.ndarray, ik: IKSolve) -> np.ndarray:
    """Joint targets (..., N) that move the TCP by `error` (..., 6: dpos ‖ drot) from joint
    positions q (..., N), given the TCP Jacobian (..., 6, N) and the arm's IK terms `ik`.
    Leading axes are independent problems (the batched generation runner steps N at once); each
    is solved by the same per-matrix BLAS/LAPACK calls whatever N is, so a row's result does not
    depend on the rows beside it."""
    if ik.weights is not None:  # weighted least squares: rows of J and the error scaled alike
        jac, error = jac * ik.weights[:, None], error * ik.weights
    jac_t = np.swapaxes(jac, -1, -2)
    jac_pinv = jac_t @ np.linalg.inv(jac @ jac_t + ik.reg)
    dq = (jac_pinv @ error[..., None])[..., 0]
    # Secondary goal: drift toward the home posture without disturbing the TCP motion.
    pull = ik.nullspace_gain * (ik.home - q)
    dq += ((np.eye(jac.shape[-1]) - jac_pinv @ jac) @ pull[..., None])[..., 0]
    return np.clip(q + dq, ik.lower, ik.upper)


def _ids(model: mujoco.MjModel, kind: mujoco.mjtObj, names: tuple[str, ...], what: str, robot: str) -> list[int]:
    """Ids of `names` in `model`; UnknownNameError names the first missing one."""
    ids = [mujoco.mj_name2id(model, kind, n) for n in names]
    for name, i in zip(names, ids):
        if i < 0:
            raise UnknownNameError(f"robot {robot!r}: the model has no {what} named {name!r}")
    return ids


class Control:
    """One scene's action → control mapping in one control mode, with the model's ids cached."""

    def __init__(self, model: mujoco.MjModel, mode: ControlMode, config: ControllerConfig, robot: RobotDescription):
        if mode not in CONTROL_MODES:
            raise ValueError(f"control mode {mode!r}; allowed: {', '.join(map(repr, CONTROL_MODES))}")
        self.model, self.mode, self.config, self.robot = model, mode, config, robot
        arm, obj = robot.arm, mujoco.mjtObj
        self.gripper = arm.gripper
        self.arm_ctrl, self.gripper_ctrl = robot.arm_ctrl, robot.gripper_ctrl
        self.space = action_space(mode, arm)
        self.site = _ids(model, obj.mjOBJ_SITE, (arm.tcp_site,), "site", robot.name)[0]
        self.root = model.body_rootid[model.site_bodyid[self.site]]  # mj_jac's reference: the tree's subtree CoM
        joints = _ids(model, obj.mjOBJ_JOINT, arm.joints, "joint", robot.name)
        fingers = _ids(model, obj.mjOBJ_JOINT, arm.gripper.finger_joints, "joint", robot.name)
        self.arm_qpos = np.array([model.jnt_qposadr[j] for j in joints])
        self.arm_dofs = np.array([model.jnt_dofadr[j] for j in joints])
        self.finger_qpos = np.array([model.jnt_qposadr[j] for j in fingers])
        actuators = _ids(model, obj.mjOBJ_ACTUATOR, robot.actuators, "actuator", robot.name)
        if actuators != list(range(len(actuators))):
            raise ValueError(
                f"robot {robot.name!r}: the arm and finger servos must be the first actuators, in order; are {actuators}"
            )
        self._jacp = np.zeros((3, model.nv))
        self._jacr = np.zeros((3, model.nv))
        self.ik = IKSolve.of(arm)

    # validation ----------------------------------------------------------------------------------

    def validate(self, action) -> np.ndarray:
        """One action as float64, clipped to the action space; raises InvalidActionError for a
        wrong shape or dtype or a NaN/inf entry."""
        try:
            a = np.asarray(action)
        except Exception as exc:  # ragged lists and the like
            raise InvalidActionError(f"action could not be read as an array: {exc}") from exc
        if a.dtype.kind not in "fiu":
            raise InvalidActionError(f"action dtype {a.dtype} is not a real number type (expected float32)")
        if a.shape != self.space.shape:
            raise InvalidActionError(f"action shape {a.shape} != {self.space.shape} ({self.mode})")
        a = a.astype(np.float64)
        bad = np.flatnonzero(~np.isfinite(a))
        if bad.size:
            raise InvalidActionError(f"action has NaN/inf at index {bad.tolist()}: {a.tolist()}")
        return np.clip(a, self.space.low, self.space.high)

    def validate_rows(self, actions: np.ndarray) -> np.ndarray:
        """`validate` of float64 rows (n, action dim) at once: clipped to the action space; the
        first row with a NaN/inf raises as `validate` would."""
        bad = ~np.isfinite(actions)
        if bad.any():
            row = int(np.flatnonzero(bad.any(axis=1))[0])
            return self.validate(actions[row])  # raises, naming the entries
        if actions.shape[1:] != self.space.shape:
            raise InvalidActionError(f"action rows of shape {actions.shape[1:]} != {self.space.shape} ({self.mode})")
        return np.clip(actions, self.space.low, self.space.high)

    # what a perturbation needs to know of the mode -----------------------------------------------

    def hold_action(self, ctrl: np.ndarray) -> np.ndarray:
        """The action (float64) that keeps the arm where it is commanded to be, gripper open, for a
        simulation whose controls are `ctrl` (nu,): what the arm receives while nothing has arrived
        (latency). ee_delta: no motion. joint_pos: the arm servos' current targets — a servo
        keeps its last setpoint when no command comes, as a robot's joint controller does. (Not the
        measured joint positions: re-targeting at those would turn any tracking error — gravity
        sag under soft servos, an arm still moving — into the new setpoint, and the arm would
        creep.) Right after a reset those targets are the reset posture, after `set_sim_state` the
        restored one, so a hold right then holds exactly there."""
        if self.mode == "ee_delta":
            held = np.zeros(self.space.shape)
        else:
            held = np.append(ctrl[self.arm_ctrl], 0.0)
        held[-1] = -1.0
        return held

    def add_motion_noise(self, action: np.ndarray, rng: np.random.Generator, std: float) -> np.ndarray:
        """A copy of `action` with Gaussian noise on its motion part (the gripper untouched):
        ee_delta the 6 displacement entries, N(0, std) in action units; joint_pos the arm's joint
        targets, N(0, std · JOINT_NOISE_RAD_PER_UNIT) rad (see that constant)."""
        action = action.copy()
        if self.mode == "ee_delta":
            action[:-1] += rng.normal(0.0, std, TWIST_DIM)
        else:
            n = action.shape[-1] - 1
            action[:-1] += rng.normal(0.0, std * JOINT_NOISE_RAD_PER_UNIT, n)
        return action

    # the mapping ---------------------------------------------------------------------------------

    def write(self, ctrl: np.ndarray, action: np.ndarray, q: np.ndarray, jac: np.ndarray | None) -> None:
        """Write the controls of validated action(s) (..., action dim) into `ctrl` (..., nu): the
        arm joint targets, from the arm joint positions q (..., N) and, in ee_delta mode, the TCP
        Jacobian(s) jac (..., 6, N) (unused in joint_pos: pass None); the finger targets from the
        gripper entry."""
        if self.mode == "ee_delta":
            c = self.config
            error = np.concatenate((action[..., :3] * c.max_pos_delta, action[..., 3:6] * c.max_rot_delta), axis=-1)
            ctrl[..., self.arm_ctrl] = dls_joint_targets(jac, q, error, self.ik)
        else:
            ctrl[..., self.arm_ctrl] = action[..., :-1]
        ctrl[..., self.gripper_ctrl] = self.gripper.target(action[..., -1:])

    def apply(self, data: mujoco.MjData, action: np.ndarray) -> None:
        """One simulation: set data.ctrl for a validated action, from the state in `data`."""
        jac = self.jacobian(data) if self.mode == "ee_delta" else None
        self.write(data.ctrl, action, data.qpos[self.arm_qpos], jac)

    def hold(self, ctrl: np.ndarray, q: np.ndarray, open_fingers: bool = True) -> None:
        """Write the hold into `ctrl` (..., nu): the arm servos at joint positions q (..., N) and,
        with `open_fingers`, the fingers open (a reset); without, the finger targets stay."""
        ctrl[..., self.arm_ctrl] = q
        if open_fingers:
            ctrl[..., self.gripper_ctrl] = self.gripper.open

    # the TCP Jacobian over the arm joints --------------------------------------------------------

    def jacobian(self, data: mujoco.MjData) -> np.ndarray:
        """(6, N) TCP Jacobian (translation ‖ rotation rows) over the arm joints, by `mj_jacSite`."""
        mujoco.mj_jacSite(self.model, data, self._jacp, self._jacr, self.site)
        return np.vstack((self._jacp[:, self.arm_dofs], self._jacr[:, self.arm_dofs]))

    def jacobian_rows(self, cdof: np.ndarray, subtree_com: np.ndarray, site_xpos: np.ndarray) -> np.ndarray:
        """(n, 6, N) TCP Jacobians from n simulations' derived MjData fields cdof (n, nv, 6),
        subtree_com (n, nbody, 3), site_xpos (n, nsite, 3): `mj_jacSite`'s arithmetic, term for
        term (its translational column is cdof's linear part plus cdof's angular part × the offset
        from the tree's centre of mass), so each row is the bytes `jacobian` gives for that state."""
        cdof = cdof[:, self.arm_dofs]  # (n, N, 6)
        offset = site_xpos[:, self.site] - subtree_com[:, self.root]  # (n, 3)
        w, o = cdof[..., :3], offset[:, None, :]
        cross = np.stack(
            (
                w[..., 1] * o[..., 2] - w[..., 2] * o[..., 1],
                w[..., 2] * o[..., 0] - w[..., 0] * o[..., 2],
                w[..., 0] * o[..., 1] - w[..., 1] * o[..., 0],
            ),
            axis=-1,
        )
        return np.ascontiguousarray(np.concatenate((cdof[..., 3:] + cross, w), axis=-1).swapaxes(-1, -2))
