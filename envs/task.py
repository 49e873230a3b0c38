"""The hooks every task answers, and the small simulator view they answer them from.

A task is composed into `ManipulationEnv` (no deep inheritance): it contributes object bodies to
the scene, samples the reset distribution of object poses, and reads the state back as subtask
signals, success and reward. `Subtask` entries make the task decomposition data, as MimicGen's
task spec does: demo generation segments source demos at these signals.
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np

from .errors import UnknownNameError
from .geometry import quat_to_mat
from .reset_widen import widened_config
from .robots import DEFAULT_ROBOT, RobotDescription, get_robot


@dataclass(frozen=True)
class Subtask:
    """One object-centric stage of a task.

    signal: key of `info["subtasks"]` whose rising edge ends this stage; None for the last stage,
        which ends at task success.
    object: the object whose frame the stage's motion is relative to (MimicGen's `object_ref`).
    grasp: the stage ends by grasping `object` (its signal is a grasp test). Demo generation
        segments source demos that lack signals at their first gripper close instead, and treats
        `object` as carried during the next stage.
    """

    signal: str | None
    object: str
    grasp: bool = False


@dataclass(frozen=True)
class ObjectPose:
    """A free body's reset pose in the world frame: position (m) and quaternion (w, x, y, z)."""

    pos: np.ndarray
    quat: np.ndarray


# Poses from MjData's arrays: the one reader, for an env's MjData and for the batched generation
# runner's per-simulation rows of the same fields alike.


def site_pose(site_xpos: np.ndarray, site_xmat: np.ndarray, site: int) -> np.ndarray:
    """(4, 4) world pose of `site` from site_xpos (nsite, 3) and site_xmat (nsite, 9)."""
    pose = np.eye(4)
    pose[:3, :3] = site_xmat[site].reshape(3, 3)
    pose[:3, 3] = site_xpos[site]
    return pose


def body_pose(xpos: np.ndarray, xquat: np.ndarray, body: int) -> np.ndarray:
    """(4, 4) world pose of `body` from xpos (nbody, 3) and xquat (nbody, 4)."""
    pose = np.eye(4)
    pose[:3, :3] = quat_to_mat(xquat[body])
    pose[:3, 3] = xpos[body]
    return pose


def object_poses(xpos: np.ndarray, xquat: np.ndarray, task: Task) -> dict[str, np.ndarray]:
    """Task object name → (4, 4) world pose, from xpos (nbody, 3) and xquat (nbody, 4)."""
    return {name: body_pose(xpos, xquat, b) for name, b in zip(task.objects, task.object_bodies)}


class SimView:
    """Read-only questions tasks ask of the simulation, with MuJoCo ids cached once."""

    def __init__(self, model: mujoco.MjModel, data: mujoco.MjData, robot: str | RobotDescription = DEFAULT_ROBOT):
        self.model, self.data = model, data
        arm = get_robot(robot).arm
        self.pad_geoms = tuple(self.geom_id(g) for g in arm.gripper.pad_geoms)
        self.tcp_site = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_SITE, arm.tcp_site)
        self._masks: dict[tuple[int, ...], np.ndarray] = {}

    def body_id(self, name: str) -> int:
        return self._id(mujoco.mjtObj.mjOBJ_BODY, self.model.nbody, "body", name)

    def geom_id(self, name: str) -> int:
        return self._id(mujoco.mjtObj.mjOBJ_GEOM, self.model.ngeom, "geom", name)

    def _id(self, kind: mujoco.mjtObj, count: int, what: str, name: str) -> int:
        i = mujoco.mj_name2id(self.model, kind, name)
        if i < 0:
            names = [n for n in (mujoco.mj_id2name(self.model, kind, k) for k in range(count)) if n]
            raise UnknownNameError(f"no {what} named {name!r}; the model's {what} names: {', '.join(names)}")
        return i

    def body_geoms(self, body: int) -> np.ndarray:
        """Ids of the geoms attached to `body` (not its children)."""
        return np.flatnonzero(self.model.geom_bodyid == body)

    def body_pos(self, body: int) -> np.ndarray:
        return self.data.xpos[body]

    def body_rot(self, body: int) -> np.ndarray:
        return self.data.xmat[body].reshape(3, 3)

    def body_pose(self, body: int) -> np.ndarray:
        return body_pose(self.data.xpos, self.data.xquat, body)

    @property
    def tcp_pos(self) -> np.ndarray:
        return self.data.site_xpos[self.tcp_site]

    def _mask(self, geoms) -> np.ndarray:
        """Boolean lookup over all geom ids, cached: indexing it is far cheaper than np.isin."""
        key = tuple(int(g) for g in np.atleast_1d(geoms))
        mask = self._masks.get(key)
        if mask is None:
            mask = np.zeros(self.model.ngeom, dtype=bool)
            mask[list(key)] = True
            self._masks[key] = mask
        return mask

    def touching(self, geoms_a, geoms_b) -> bool:
        """True if any active contact joins a geom of `geoms_a` with one of `geoms_b`."""
        if self.data.ncon == 0:
            return False
        pairs = self.data.contact.geom[: self.data.ncon]
        a, b = self._mask(geoms_a), self._mask(geoms_b)
        g0, g1 = pairs[:, 0], pairs[:, 1]
        return bool(np.any((a[g0] & b[g1]) | (a[g1] & b[g0])))

    def grasping(self, object_geoms) -> bool:
        """Both finger pads touch the object: the grasp test robosuite's `_check_grasp` uses."""
        return self.touching([self.pad_geoms[0]], object_geoms) and self.touching([self.pad_geoms[1]], object_geoms)


class Task:
    """Base of the four tasks: the hooks, in the order the env calls them.

    Subclasses set `name`, `description`, `objects` (every body whose pose is observed and can
    anchor a subtask: free objects and mocap fixtures, in observation order), `subtasks`, and
    `max_episode_steps`, and implement the hooks below.
    """

    name: str = ""
    description: str = ""  # the language instruction stored with each episode (lerobot `task`, GR00T annotation)
    objects: tuple[str, ...] = ()
    subtasks: tuple[Subtask, ...] = ()
    # n-fold symmetry of each object about its own z axis (a cube: 4). Demo generation uses it to
    # pick the equivalent object frame nearest a source demo's, so grasps are not needlessly spun.
    symmetry: dict[str, int] = {}
    max_episode_steps: int = 200

    def objects_xml(self) -> str:
        """Scene hook: MJCF bodies (free objects and fixtures) added to the worldbody."""
        raise NotImplementedError

    def assets_xml(self) -> str:
        """Scene hook: MJCF assets (meshes) the bodies of `objects_xml` use; none by default."""
        return ""

    def bind(self, sim: SimView) -> None:
        """Cache the ids the other hooks need; called once after the model compiles."""
        self.sim = sim
        self.object_bodies = tuple(sim.body_id(o) for o in self.objects)
        self.object_geoms = {o: sim.body_geoms(b) for o, b in zip(self.objects, self.object_bodies)}

    def sample_reset(self, rng: np.random.Generator) -> None:
        """Reset distribution: place objects (and fixtures) in `self.sim.data` from `rng`."""
        raise NotImplementedError

    def widen_reset(self, scale: float) -> None:
        """Draw later resets from ranges `scale` times as wide about their centres as the config's
        own (1: as configured); see `reset_widen`. Always relative to the config the task was made
        with, so calling it again with another scale does not compound."""
        narrow = self.__dict__.setdefault("_narrow_config", getattr(self, "config", None))
        if scale != self.__dict__.get("_widened_by", 1.0):
            self.config = narrow if scale == 1.0 else widened_config(narrow, scale, self.name)
            self._widened_by = scale

    def signals(self) -> dict[str, bool]:
        """Subtask-termination signals of the current state (keys include every Subtask.signal)."""
        raise NotImplementedError

    def is_success(self) -> bool:
        raise NotImplementedError

    def dense_reward(self) -> float:
        """Shaped reward in [0, 1]; each task's docstring lists its terms and ranges."""
        raise NotImplementedError

    # Shared helpers --------------------------------------------------------------------------

    def set_free_pose(self, body_name: str, pos, quat) -> None:
        """Write a free body's pose into qpos and zero its velocity."""
        model, data = self.sim.model, self.sim.data
        joint = model.body_jntadr[self.sim.body_id(body_name)]
        qadr, vadr = model.jnt_qposadr[joint], model.jnt_dofadr[joint]
        data.qpos[qadr : qadr + 3] = pos
        data.qpos[qadr + 3 : qadr + 7] = quat
        data.qvel[vadr : vadr + 6] = 0.0

    def set_mocap_pose(self, body_name: str, pos, quat) -> None:
        """Place a fixture. Fixtures are mocap bodies, so their pose lives in MjData, not MjModel:
        resetting the scene never edits the model (domain randomization owns model edits)."""
        mocap = self.sim.model.body_mocapid[self.sim.body_id(body_name)]
        self.sim.data.mocap_pos[mocap] = pos
        self.sim.data.mocap_quat[mocap] = quat

    def reach_reward(self, target: np.ndarray) -> float:
        """1 − tanh(10·d) for TCP-to-target distance d (m): 1 at contact, ~0.24 at 10 cm."""
        return float(1.0 - np.tanh(10.0 * np.linalg.norm(self.sim.tcp_pos - target)))
