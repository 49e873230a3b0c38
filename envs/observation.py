"""The observation spec: the one place that says what an observation holds.

Two levels, because the env and the dataset lay the same numbers out differently:

- `EnvField`: one entry of `ManipulationEnv`'s observation dict (`joint_pos`, `object_pos`, ...),
  its width per instance, per-component names, and whether it is privileged — readable only in
  simulation (object poses: a real robot has no object-pose sensor; proprioception is not).
- `ObservationFeature`: one stored observation of the dataset (`observation.state`, ...), the
  concatenation of some env fields in a fixed order, or a camera image.

The env's observation space, the sensor noise, the recorder, the exporters (LeRobot, GR00T,
Minari, robomimic) and the trainer all read this module; checkpoints store the dataset keys a
policy was trained on, which an observation mode (`observation_keys`) selects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from .errors import ConfigError, UnknownNameError
from .robots import DEFAULT_ROBOT, RobotDescription, get_robot

XYZ = ("x", "y", "z")
WXYZ = ("w", "x", "y", "z")  # MuJoCo's quaternion order


def _indexed(n: int) -> tuple[str, ...]:
    return tuple(str(i) for i in range(n))


@dataclass(frozen=True)
class EnvField:
    """One float32 vector of the env's observation dict.

    components: names of the values of one instance (`x y z`, `w x y z`, `0 … N−1` for the arm's
        N joints).
    per_object: one instance per task object, in `Task.objects` order (object-major).
    label: the name stem in the stored feature names: `<label>.<c>`, or `<object>.<label>.<c>`
        for per-object fields (`cube.pos.x`).
    sensor: the sensor family that reads it, which picks its noise std in a domain profile.
    """

    key: str
    components: tuple[str, ...]
    label: str
    per_object: bool = False
    privileged: bool = False
    quaternion: bool = False  # unit length; noise is renormalised, GR00T marks its rotation type
    sensor: Literal["proprio", "object_pose"] = "proprio"

    @property
    def width(self) -> int:
        return len(self.components)

    def size(self, objects: tuple[str, ...]) -> int:
        return self.width * (len(objects) if self.per_object else 1)

    def names(self, objects: tuple[str, ...]) -> list[str]:
        stems = [f"{o}.{self.label}" for o in objects] if self.per_object else [self.label]
        return [f"{stem}.{c}" for stem in stems for c in self.components]


# Proprioception: what the arm knows about itself. The joint and finger widths are the robot's
# (`robot_fields`); the constants here are the default robot's.
_DEFAULT = get_robot(DEFAULT_ROBOT)
JOINT_POS = EnvField("joint_pos", _indexed(_DEFAULT.arm.n_joints), "joint_pos")  # rad
JOINT_VEL = EnvField("joint_vel", _indexed(_DEFAULT.arm.n_joints), "joint_vel")  # rad/s
EEF_POS = EnvField("eef_pos", XYZ, "eef_pos")  # m, world frame (the TCP site)
# world frame; sign nearer the home orientation (ArmDescription.tcp_home_quat), not w ≥ 0 (w ≈ 0 gripper-down)
EEF_QUAT = EnvField("eef_quat", WXYZ, "eef_quat", quaternion=True)
GRIPPER_QPOS = EnvField("gripper_qpos", _indexed(_DEFAULT.arm.gripper.width), "gripper_qpos")  # per finger joint
# Object poses: true simulator state, so privileged.
_OBJECT = {"per_object": True, "privileged": True, "sensor": "object_pose"}
OBJECT_POS = EnvField("object_pos", XYZ, "pos", **_OBJECT)  # m, world frame
OBJECT_QUAT = EnvField("object_quat", WXYZ, "quat", quaternion=True, **_OBJECT)  # world frame, w ≥ 0 (near upright)
OBJECT_TO_EEF = EnvField("object_to_eef", XYZ, "to_eef", **_OBJECT)  # object minus TCP position (m, world)

# Every vector of the env's observation dict, in the env's order (the default robot's widths).
ENV_FIELDS = (JOINT_POS, JOINT_VEL, EEF_POS, EEF_QUAT, GRIPPER_QPOS, OBJECT_POS, OBJECT_QUAT, OBJECT_TO_EEF)


def _sized(field: EnvField, robot: RobotDescription) -> EnvField:
    """`field` with the robot's width where the width is the robot's (joints, finger joints)."""
    widths = {JOINT_POS.key: robot.arm.n_joints, JOINT_VEL.key: robot.arm.n_joints}
    widths[GRIPPER_QPOS.key] = robot.arm.gripper.width
    n = widths.get(field.key)
    return field if n is None or n == field.width else replace(field, components=_indexed(n))


def env_fields(robot: str | RobotDescription = DEFAULT_ROBOT) -> tuple[EnvField, ...]:
    """`ENV_FIELDS` for `robot`: `joint_pos`/`joint_vel` as wide as its arm's joints,
    `gripper_qpos` as its gripper's finger joints."""
    robot = get_robot(robot)
    return tuple(_sized(f, robot) for f in ENV_FIELDS)


OBSERVATION_PREFIX = "observation."  # every stored observation's key starts so (lerobot naming)
IMAGE_PREFIX = "observation.images."  # + camera name: a stored camera stream
ENV_IMAGE_PREFIX = "image_"  # + camera name: the env's uint8 (H, W, 3) frame
LEROBOT_PIXELS = "pixels"  # LeRobot's raw env key of the camera frames, a dict by camera name


@dataclass(frozen=True)
class ObservationFeature:
    """One stored observation: a float32 vector concatenating `fields`, or a camera image.

    key: the dataset feature (`observation.state`), as LeRobot names it.
    lerobot_key: the raw env key LeRobot's `preprocess_observation` turns into `key`.
    """

    key: str
    lerobot_key: str
    fields: tuple[EnvField, ...] = ()
    kind: Literal["vector", "image"] = "vector"

    @property
    def short_key(self) -> str:
        """The key without `observation.`: Minari's and robomimic's name for it."""
        return self.key.removeprefix(OBSERVATION_PREFIX)

    @property
    def privileged(self) -> bool:
        return any(f.privileged for f in self.fields)

    def size(self, objects: tuple[str, ...]) -> int:
        return sum(f.size(objects) for f in self.fields)

    def names(self, objects: tuple[str, ...]) -> list[str]:
        return [n for f in self.fields for n in f.names(objects)]

    def slices(self, objects: tuple[str, ...]) -> dict[str, slice]:
        """Env field key → where that field lies in the stored vector (for a task's `objects`)."""
        out, start = {}, 0
        for f in self.fields:
            out[f.key] = slice(start, start + f.size(objects))
            start = out[f.key].stop
        return out

    def vector(self, obs: Mapping[str, np.ndarray]) -> np.ndarray:
        """The stored vector of an env observation dict."""
        return np.concatenate([obs[f.key] for f in self.fields])


STATE = ObservationFeature("observation.state", "agent_pos", (JOINT_POS, JOINT_VEL, EEF_POS, EEF_QUAT, GRIPPER_QPOS))
ENVIRONMENT_STATE = ObservationFeature(
    "observation.environment_state", "environment_state", (OBJECT_POS, OBJECT_QUAT, OBJECT_TO_EEF)
)
# The stored vectors, in the order datasets list them (the default robot's widths).
VECTOR_FEATURES = (STATE, ENVIRONMENT_STATE)


def vector_features(robot: str | RobotDescription = DEFAULT_ROBOT) -> tuple[ObservationFeature, ...]:
    """`VECTOR_FEATURES` with `robot`'s field widths (`env_fields`)."""
    robot = get_robot(robot)
    return tuple(replace(f, fields=tuple(_sized(e, robot) for e in f.fields)) for f in VECTOR_FEATURES)


def camera_feature(camera: str) -> ObservationFeature:
    """A camera's stored stream (`observation.images.<camera>`); LeRobot's raw env holds it as
    `pixels[<camera>]`. Never privileged: a real robot has the same camera."""
    return ObservationFeature(IMAGE_PREFIX + camera, LEROBOT_PIXELS, kind="image")


def is_image_key(key: str) -> bool:
    """Whether a stored observation key is a camera stream (`observation.images.<camera>`)."""
    return key.startswith(IMAGE_PREFIX)


def env_image_key(camera: str) -> str:
    return ENV_IMAGE_PREFIX + camera


def observation_features(obs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """An env observation dict → every stored observation vector, by dataset key."""
    return {f.key: f.vector(obs) for f in VECTOR_FEATURES}


# Observation mode → what a policy reads. "state" is what every policy read so far (object poses
# included); "vision" drops the privileged vectors for the cameras, so it works on a real robot.
OBS_MODES = ("state", "vision")
DEFAULT_OBS_MODE = "state"


def select_features(mode: str = DEFAULT_OBS_MODE, cameras: tuple[str, ...] = ()) -> tuple[ObservationFeature, ...]:
    """The stored observations a policy in observation mode `mode` reads, in input order."""
    if mode == "state":
        return VECTOR_FEATURES
    if mode == "vision":
        if not cameras:
            raise ConfigError("observation mode 'vision' needs at least one camera (cameras=())")
        return (*(f for f in VECTOR_FEATURES if not f.privileged), *(camera_feature(c) for c in cameras))
    raise UnknownNameError(f"observation mode {mode!r} unknown; known: {', '.join(OBS_MODES)}")


def observation_keys(mode: str = DEFAULT_OBS_MODE, cameras: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The dataset keys of `select_features(mode, cameras)`: what a checkpoint stores."""
    return tuple(f.key for f in select_features(mode, cameras))


def vector_feature(key: str) -> ObservationFeature:
    """The stored vector named `key`; UnknownNameError lists the known ones."""
    for f in VECTOR_FEATURES:
        if f.key == key:
            return f
    raise UnknownNameError(
        f"observation key {key!r} unknown; known vector keys: {', '.join(f.key for f in VECTOR_FEATURES)}"
    )
