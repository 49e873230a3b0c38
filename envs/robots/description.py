"""`RobotDescription`: what every layer needs to know of a robot, and nothing else knows it.

The env, the controller, the grasp tests, the observation layout, the experts, domain
randomization, recording and the exporters read a robot's joints, servos, TCP site, gripper and
home pose from here, never from names or counts of their own (tests/test_robot_source.py fails on
an arm joint name, a joint count or a `ctrl` slice written outside `envs/robots/`).

A robot holds a *list* of arms so a two-arm robot fits later; today exactly one arm is supported.
Its MJCF comes from `RobotMjcf`: three fragments the scene builder places (defaults, the arm's
body tree at the base pose, its actuators).

`ctrl` layout: each arm's joint servos, then its gripper servos, arm after arm — the order the
scene compiles the actuators in, checked against the model when a `Control` is built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError

Vec3 = tuple[float, float, float]


@dataclass(frozen=True)
class RobotMjcf:
    """Where the robot's MJCF comes from: fragments `envs/scene.py` places into a task's model (a
    built-in robot), or an MJCF file holding the arm that the scene attaches with `mujoco.MjSpec`
    (`file_arm.py`). Exactly one of the two.

    defaults: `<default>` classes the bodies use (placed inside the scene's `<default>`).
    body: the arm's body tree with the base at `base_pos` (m, world frame), for `<worldbody>`.
    actuators: the servos, in `ctrl` order (see the module docstring), for `<actuator>`.
    file: an MJCF file (absolute path) whose `<worldbody>` holds the arm (its base body at the
        origin), whose `<actuator>` holds its servos in `ctrl` order, and whose `<default>` the
        classes they use; attached at `base_pos`.
    """

    defaults: str = ""
    body: Callable[[Vec3], str] | None = None
    actuators: Callable[[], str] | None = None
    file: str | None = None

    def __post_init__(self) -> None:
        fragments = self.body is not None and self.actuators is not None
        if fragments == (self.file is not None) or (self.file is not None and (self.body or self.actuators)):
            raise ConfigError("RobotMjcf: give either the body and actuators fragments or an MJCF file, not both")

    def body_xml(self, base_pos: Vec3) -> str:
        """The body fragment at `base_pos` ("" for a file arm, attached after the XML is parsed)."""
        return self.body(base_pos) if self.body is not None else ""

    def actuators_xml(self) -> str:
        return self.actuators() if self.actuators is not None else ""


@dataclass(frozen=True)
class GripperDescription:
    """A parallel-jaw gripper: one position servo per finger joint, all given the same target.

    A gripper command c in [−1 open, +1 closed] sets each servo's target to
    `closed + (open − closed)·(1 − c)/2` (`target`); reset puts the finger joints at `open`.
    """

    finger_joints: tuple[str, ...]
    actuators: tuple[str, ...]  # one servo per finger joint, same order
    open: float  # servo target (m or rad of the finger joint) when fully open
    closed: float  # servo target when fully closed
    pad_geoms: tuple[str, str]  # the two contact geoms a grasp test needs both touching (robosuite's)

    def __post_init__(self) -> None:
        if not self.finger_joints:
            raise ConfigError("GripperDescription.finger_joints is empty; a gripper needs at least one finger joint")
        if len(self.actuators) != len(self.finger_joints):
            raise ConfigError(
                f"GripperDescription.actuators has {len(self.actuators)} names, finger_joints "
                f"{len(self.finger_joints)}: one servo per finger joint"
            )
        if len(self.pad_geoms) != 2:
            raise ConfigError(f"GripperDescription.pad_geoms={self.pad_geoms!r}: expected two geom names")
        if self.open == self.closed:
            raise ConfigError(f"GripperDescription.open={self.open} equals closed: the gripper could not move")

    def target(self, command):
        """Each finger servo's target for gripper command(s) in [−1 open, +1 closed]."""
        # Written so that closed = 0 gives open·(1 − c)/2 to the bit (adding 0.0 is exact).
        return self.closed + (self.open - self.closed) * (1.0 - command) / 2.0

    def command(self, target: float) -> float:
        """The gripper command whose servo target is `target`: the inverse of `target`."""
        return 1.0 - 2.0 * (target - self.closed) / (self.open - self.closed)

    @property
    def width(self) -> int:
        return len(self.finger_joints)


@dataclass(frozen=True)
class IKSettings:
    """Damped-least-squares IK of the ee_delta controller (`envs/control.py`).

    position_weight / orientation_weight scale the Jacobian's translation and rotation rows and
    the error alike, so an arm with fewer than six joints can track position first (mink's
    weighted frame tasks); 1 and 1 is the plain DLS solve.
    """

    damping: float = 0.05  # DLS λ; trades accuracy near singularities for bounded joint steps
    nullspace_gain: float = 0.05  # pull per step toward the home posture, inside the task null space
    position_weight: float = 1.0
    orientation_weight: float = 1.0

    def __post_init__(self) -> None:
        for name in ("damping", "position_weight", "orientation_weight"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"IKSettings.{name}={getattr(self, name)} must be > 0")
        if not self.nullspace_gain >= 0:
            raise ConfigError(f"IKSettings.nullspace_gain={self.nullspace_gain} must be >= 0")


@dataclass(frozen=True)
class CameraMount:
    """A camera carried by the arm: `<camera name pos quat fovy>` inside body `body` (its frame)."""

    name: str
    body: str
    pos: Vec3
    quat: tuple[float, float, float, float]  # (w, x, y, z) in the body frame
    fovy: float  # degrees, vertical field of view

    def xml(self) -> str:
        p, q = self.pos, self.quat
        return (
            f'<camera name="{self.name}" pos="{p[0]:g} {p[1]:g} {p[2]:g}" '
            f'quat="{q[0]:g} {q[1]:g} {q[2]:g} {q[3]:g}" fovy="{self.fovy:g}"/>'
        )


@dataclass(frozen=True)
class ArmDescription:
    """One arm: its joints and servos, TCP, gripper, home and base pose, IK settings, wrist camera.

    joints: the arm's hinge joints, base to wrist; actuators: their position servos, same order.
    joint_lower / joint_upper: rad, the joint (and servo target) limits.
    tcp_site: the site at the tool centre point, whose pose ee_delta actions move.
    base_body: the root body of the arm's tree (randomization colours everything under it).
    base_pos: m, world frame, where the base stands.
    home_qpos: rad, the reset posture (gripper pointing down over the workspace).
    tcp_home_quat: (w, x, y, z), the TCP orientation at `home_qpos`: gripper down. Experts aim
        the gripper with it; observed TCP quaternions take the sign nearer it.
    """

    joints: tuple[str, ...]
    actuators: tuple[str, ...]
    joint_lower: tuple[float, ...]
    joint_upper: tuple[float, ...]
    tcp_site: str
    base_body: str
    base_pos: Vec3
    home_qpos: tuple[float, ...]
    tcp_home_quat: tuple[float, float, float, float]
    gripper: GripperDescription
    ik: IKSettings = field(default_factory=IKSettings)
    wrist_camera: CameraMount | None = None

    def __post_init__(self) -> None:
        n = len(self.joints)
        if n == 0:
            raise ConfigError("ArmDescription.joints is empty; an arm needs at least one joint")
        for name in ("actuators", "joint_lower", "joint_upper", "home_qpos"):
            if len(getattr(self, name)) != n:
                raise ConfigError(f"ArmDescription.{name} has {len(getattr(self, name))} values, joints has {n}")
        lower, upper, home = (np.asarray(v, float) for v in (self.joint_lower, self.joint_upper, self.home_qpos))
        if np.any(lower >= upper):
            raise ConfigError(
                f"ArmDescription joint limits: lower {self.joint_lower} must be below upper {self.joint_upper}"
            )
        if np.any(home < lower) or np.any(home > upper):
            raise ConfigError(f"ArmDescription.home_qpos={self.home_qpos} lies outside the joint limits")
        if len(self.base_pos) != 3:
            raise ConfigError(f"ArmDescription.base_pos={self.base_pos!r}: expected (x, y, z)")
        if len(self.tcp_home_quat) != 4 or not np.isclose(np.linalg.norm(self.tcp_home_quat), 1.0):
            raise ConfigError(f"ArmDescription.tcp_home_quat={self.tcp_home_quat!r}: expected a unit (w, x, y, z)")
        names = [*self.joints, *self.gripper.finger_joints]
        if len(set(names)) != len(names):
            raise ConfigError(f"ArmDescription joint names repeat: {names}")

    @property
    def n_joints(self) -> int:
        return len(self.joints)

    # Arrays of the tuples above, built once: the controller reads them every step.
    @property
    def lower(self) -> np.ndarray:
        return np.array(self.joint_lower)

    @property
    def upper(self) -> np.ndarray:
        return np.array(self.joint_upper)

    @property
    def home(self) -> np.ndarray:
        return np.array(self.home_qpos)

    @property
    def gripper_down(self) -> np.ndarray:
        """(3, 3) TCP rotation at home (gripper down), from `tcp_home_quat`."""
        w, x, y, z = self.tcp_home_quat
        # The unit quaternion's matrix written out (not mju_quat2Mat): a 180° turn reads as exact
        # ±1 and +0.0 entries, the matrix experts have always multiplied by.
        m = np.array(
            [
                [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
                [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
                [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
            ]
        )
        return m + 0.0  # −0.0 → +0.0


@dataclass(frozen=True)
class RobotDescription:
    """A robot: its name, its arms (one, today) and where its MJCF comes from."""

    name: str
    arms: tuple[ArmDescription, ...]
    mjcf: RobotMjcf
    origin: str | None = None  # the TOML file it was read from, if any

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("_", "a").replace("-", "a").isalnum():
            raise ConfigError(f"RobotDescription.name={self.name!r}: expected letters, digits, '_' or '-'")
        if len(self.arms) != 1:
            raise ConfigError(
                f"robot {self.name!r} has {len(self.arms)} arms; exactly one is supported (two-arm robots come later)"
            )

    @property
    def arm(self) -> ArmDescription:
        """The (only) arm."""
        return self.arms[0]

    # ctrl layout (module docstring): the arm's servos, then its gripper's.
    @property
    def arm_ctrl(self) -> slice:
        return slice(0, self.arm.n_joints)

    @property
    def gripper_ctrl(self) -> slice:
        return slice(self.arm.n_joints, self.arm.n_joints + self.arm.gripper.width)

    @property
    def actuators(self) -> tuple[str, ...]:
        """Every servo, in `ctrl` order."""
        return (*self.arm.actuators, *self.arm.gripper.actuators)

    def layout(self) -> dict:
        """What a dataset records of the robot (meta/info.json `robot`): enough to refuse data
        whose layout does not fit another robot."""
        arm = self.arm
        return {
            "name": self.name,
            "arm_joints": list(arm.joints),
            "finger_joints": list(arm.gripper.finger_joints),
            "tcp_site": arm.tcp_site,
        }
