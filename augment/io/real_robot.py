"""Real-robot demos in: fill what generation reads from what a real arm records.

A LeRobot dataset of a real arm holds joint angles, a gripper and an action (and cameras). The
features generation reads from a source (`generate/segment.py` REQUIRED) are made here:

- `datagen.eef_pose` (T, 7): the TCP pose by forward kinematics of the recorded arm joint angles
  (`envs.kinematics`, on the task's model with `--robot`'s description).
- `datagen.object_poses` (T, 7·objects): each object's measured start pose (`object_poses.py`),
  held while it rests; from the frame the gripper closes on it, it follows the TCP rigidly (the
  grasp is assumed not to slip) until the gripper opens, where it stays. Closing a parallel jaw
  centres the object between the pads, so its in-hand position along the fingers' closing axis is
  taken as the TCP's (this assumes the object's frame origin is its centre between the pads; a
  cube's is) — measured on Lift, that is where the simulated cube sits one frame after the grasp. Generation reads an
  object's pose at segment starts, the still anchor's over its segment (it must not drift), and
  the carried object's relative to the TCP — all of which this gives exactly when the objects do
  rest until grasped and do not slip; episode meta says `object_poses: "start-only"`.
- `next.subtask_signals` for the grasp subtasks: on from the frame whose step closed the fingers
  on an object (the finger joints, when recorded, travelled `GRASP_TRAVEL` of the way from open
  to closed by the next frame); without finger readings it is left out and generation cuts at
  the first close command (`segment.boundaries`).
- `action` (T, 7) ee_delta: kept when the dataset's action already is one; joint-position
  actions (T, n_joints + 1) become the ee_delta command to the TCP pose their joint targets reach
  (FK), as `ManipulationEnv` would be asked to move there in one step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...envs import ConfigError, EnvConfig, make_task_env, resolve_task_name
from ...envs.geometry import mat_to_axis_angle, mat_to_pose7, pose7_to_mat, pose_inv
from ...envs.kinematics import ForwardKinematics
from ...envs.observation import STATE
from ...envs.robots import get_robot
from ..data.dataset import Episode
from ..data.record import SIGNALS_AFTER
from ..data.safety import DatasetError
from .object_poses import check_episodes, load_object_poses

GRASP_TRAVEL = 0.25  # share of the open→closed finger travel that counts as "closed on something"
GENERATED = ("datagen.eef_pose", "datagen.object_poses")  # what a real-robot import computes


@dataclass(frozen=True)
class RealRobotImport:
    """How to complete a real robot's dataset for generation (`demoforge import --robot`).

    robot: the registered robot that recorded it (its description gives joints, TCP, gripper).
    task: the demoforge task the demos perform (its model places the robot; its objects are
        the side file's object names).
    object_poses: .csv/.json side file of each episode's initial object poses (object_poses.py).
    joints: the feature holding, per frame, the arm's joint angles in the robot's joint order
        (rad), optionally followed by its finger joints (m or rad, as the robot's gripper)."""

    robot: str
    task: str
    object_poses: str | Path
    joints: str = STATE.key  # LeRobot's name for proprioception; a real arm's holds its joint angles

    def __post_init__(self) -> None:
        get_robot(self.robot)  # UnknownNameError lists the registered robots
        object.__setattr__(self, "task", resolve_task_name(self.task))
        if not Path(self.object_poses).is_file():
            raise FileNotFoundError(f"RealRobotImport.object_poses: object-pose file {self.object_poses} not found")
        if not self.joints or "/" in self.joints:
            raise ConfigError(f"RealRobotImport.joints={self.joints!r}: expected a feature name")


class RealRobotCompleter:
    """Completes episodes of one real-robot dataset; owns the task env FK runs on."""

    def __init__(self, config: RealRobotImport):
        self.config = config
        self.env = make_task_env(config.task, config=EnvConfig(robot=config.robot))
        self.robot = self.env.robot
        self.fk = ForwardKinematics(self.env)
        self.closing_axis = self.fk.closing_axis()  # TCP frame; None: no centring (hinged fingers)
        self.subtasks = self.env.task.subtasks
        self.objects = self.env.task.objects
        self.signal_names = list(self.env.task.signals())
        self.poses = load_object_poses(config.object_poses, self.objects)
        ctrl = self.env.config.controller
        self.max_pos, self.max_rot = ctrl.max_pos_delta, ctrl.max_rot_delta

    def close(self) -> None:
        self.env.close()

    def check_count(self, episodes: int) -> None:
        check_episodes(self.config.object_poses, self.poses, episodes)

    def check_fps(self, fps: int, where: str) -> None:
        """An action is one control step: data at another rate would replay too fast or slow."""
        if fps != self.env.config.control_hz:
            raise DatasetError(
                f"{where}: recorded at {fps} fps, the {self.config.task} controller runs at "
                f"{self.env.config.control_hz:g} Hz; resample the dataset to {self.env.config.control_hz:g} fps first"
            )

    def complete(self, ep: Episode, index: int, where: str) -> Episode:
        """`ep` (episode `index` of the source, named `where` in errors) with the features
        generation reads made as the module docstring says."""
        present = [k for k in (*GENERATED, SIGNALS_AFTER) if k in ep.data]
        if present:
            raise DatasetError(f"{where}: already holds {present[0]!r}; import it without --robot")
        if index not in self.poses:
            raise DatasetError(f"object-pose file {self.config.object_poses}: no poses for episode {index}")
        arm_q, fingers = self._joints(ep, where)
        eef7 = self.fk.tcp_poses(arm_q)
        eef = pose7_to_mat(eef7)
        action = self._action(ep, eef, where)
        grasps = self._grasp_frames(action[:, -1], fingers)
        data = dict(ep.data)
        data["action"] = action
        data["datagen.eef_pose"] = eef7.astype(np.float32)
        data["datagen.object_poses"] = self._object_poses(self.poses[index], eef, grasps, action[:, -1])
        if fingers is not None:
            data[SIGNALS_AFTER] = self._signals(ep.length, grasps)
        meta = {
            **ep.meta,
            "task": self.config.task,
            "eef_pose": f"forward kinematics of {self.config.joints}[:{self.robot.arm.n_joints}], robot {self.robot.name}",
            "object_poses": "start-only",
            "grasp_frames": [int(g) for g in grasps],
            "grasp_from": "finger joints" if fingers is not None else "gripper command",
        }
        return Episode(task=ep.task or self.env.task.description, data=data, videos=ep.videos, meta=meta)

    def _joints(self, ep: Episode, where: str) -> tuple[np.ndarray, np.ndarray | None]:
        key, arm = self.config.joints, self.robot.arm
        if key not in ep.data:
            raise DatasetError(
                f"{where}: no field {key!r} of joint angles, which --robot's forward kinematics needs for "
                f"datagen.eef_pose (fields: {sorted(ep.data)}; name another with --joints)"
            )
        q = np.asarray(ep.data[key], np.float64)
        n, f = arm.n_joints, arm.gripper.width
        width = q.shape[1] if q.ndim == 2 else 0
        if width not in (n, n + f) or not np.all(np.isfinite(q)):
            raise DatasetError(
                f"{where}: field {key!r} has {width} values per frame; robot {self.robot.name!r} has {n} arm joints "
                f"{list(arm.joints)} (+ {f} finger joints), so expected {n} or {n + f} finite values"
            )
        return q[:, :n], (q[:, n:] if width == n + f else None)

    def _action(self, ep: Episode, eef: np.ndarray, where: str) -> np.ndarray:
        if "action" not in ep.data:
            raise DatasetError(f"{where}: no field 'action' (the gripper command, at least, comes from it)")
        a = np.asarray(ep.data["action"], np.float64)
        n = self.robot.arm.n_joints
        width = a.shape[1] if a.ndim == 2 else 0
        if width not in (7, n + 1) or not np.all(np.isfinite(a)):
            raise DatasetError(
                f"{where}: field 'action' has {width} values per frame; expected 7 (ee_delta: dx dy dz drx dry drz "
                f"gripper) or {n + 1} (robot {self.robot.name!r}'s joint targets + gripper), all finite"
            )
        if np.any(np.abs(a[:, -1]) > 1.0):
            raise DatasetError(
                f"{where}: action's gripper command (last value) leaves [-1 open, +1 closed]: "
                f"range [{a[:, -1].min():.3g}, {a[:, -1].max():.3g}]"
            )
        if width == 7:
            return a.astype(np.float32)
        target = self.fk.tcp_matrices(a[:, :n])
        dpos = (target[:, :3, 3] - eef[:, :3, 3]) / self.max_pos
        drot = np.stack([mat_to_axis_angle(t[:3, :3] @ e[:3, :3].T) for t, e in zip(target, eef)]) / self.max_rot
        return np.clip(np.concatenate([dpos, drot, a[:, -1:]], axis=1), -1.0, 1.0).astype(np.float32)

    def _grasp_frames(self, gripper: np.ndarray, fingers: np.ndarray | None) -> list[int]:
        """One frame per close command: the frame whose step closed the fingers on something
        (finger readings) or, without them, the close command's own frame."""
        closed = gripper > 0
        starts = [t for t in range(len(closed)) if closed[t] and (t == 0 or not closed[t - 1])]
        if fingers is None:
            return starts
        g = self.robot.arm.gripper
        travel = np.mean(np.abs(fingers - g.open), axis=1) / abs(g.open - g.closed)
        shut = closed[:-1] & (travel[1:] >= GRASP_TRAVEL)  # [t]: commanded closed, and closed by frame t + 1
        frames = []
        for s in starts:
            hits = np.flatnonzero(shut[s:])
            frames.append(s + int(hits[0]) if len(hits) else s)
        return frames

    def _object_poses(self, start: np.ndarray, eef: np.ndarray, grasps: list[int], gripper: np.ndarray) -> np.ndarray:
        """(T, 7·objects): start poses, the grasped object riding on the TCP from the frame after
        its grasp frame until the gripper opens. The k-th grasp takes the k-th grasp subtask's object."""
        poses = np.repeat(pose7_to_mat(start)[None], len(eef), axis=0)  # (T, objects, 4, 4)
        grasp_objects = [self.objects.index(s.object) for s in self.subtasks if s.grasp]
        for g, obj in zip(grasps, grasp_objects):
            t0 = g + 1  # signals convention: the step of frame g closed the fingers; frame g + 1 holds it
            if t0 >= len(eef):
                break
            in_hand = pose_inv(eef[t0]) @ poses[t0, obj]
            if self.closing_axis is not None:  # the jaws centre it (module docstring)
                in_hand[:3, 3] -= self.closing_axis * float(self.closing_axis @ in_hand[:3, 3])
            opens = [t for t in range(t0, len(eef)) if gripper[t] <= 0]
            end = opens[0] + 1 if opens else len(eef)  # the frame after the opening step's
            poses[t0:end, obj] = eef[t0:end] @ in_hand
            poses[end:, obj] = poses[end - 1, obj]
        flat = [mat_to_pose7(p) for frame in poses for p in frame]
        return np.asarray(flat, np.float32).reshape(len(eef), -1)

    def _signals(self, length: int, grasps: list[int]) -> np.ndarray:
        """(T, n_signals) `next.subtask_signals`: each grasp subtask's signal on from its grasp
        frame (the state after that frame's step holds the object) to the episode's end; signals
        no gripper event tells (Lift's `lifted`) stay off — segmentation reads only the signals
        that end subtasks, and the last subtask has none."""
        out = np.zeros((length, len(self.signal_names)), bool)
        for g, sub in zip(grasps, [s for s in self.subtasks if s.grasp]):
            if sub.signal in self.signal_names:
                out[g:, self.signal_names.index(sub.signal)] = True
        return out
