"""Stitch: turn a transformed segment into the waypoints to execute from where the arm is now.

First an interpolation from the current TCP pose to the segment's first transformed pose
(`interpolation_steps`, gripper held as it was), then an optional pause (`fixed_steps`), then the
segment itself with its recorded gripper commands.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .transform import interpolate_poses


@dataclass(frozen=True)
class WaypointSequence:
    """Target TCP poses (T, 4, 4) and gripper commands (T,) to execute in order."""

    poses: np.ndarray
    gripper: np.ndarray

    def __len__(self) -> int:
        return len(self.poses)


def hold_before_gripper_changes(poses: np.ndarray, gripper: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Repeat the waypoint before each open↔close switch `steps` times. The tracking controller
    trails a moving waypoint slightly; this lets it arrive before the fingers close (or open),
    where the demonstrator had arrived."""
    if steps <= 0 or len(gripper) < 2:
        return poses, gripper
    switches = np.flatnonzero(np.sign(gripper[1:]) != np.sign(gripper[:-1])) + 1
    if len(switches) == 0:
        return poses, gripper
    idx = np.concatenate([np.arange(len(poses)), np.repeat(switches - 1, steps)])
    order = np.argsort(idx, kind="stable")
    return poses[idx[order]], gripper[idx[order]]


def stitch(
    current_pose: np.ndarray,
    current_gripper: float,
    segment_poses: np.ndarray,
    segment_gripper: np.ndarray,
    interpolation_steps: int = 5,
    fixed_steps: int = 0,
    gripper_hold_steps: int = 0,
) -> WaypointSequence:
    segment_poses, segment_gripper = hold_before_gripper_changes(segment_poses, segment_gripper, gripper_hold_steps)
    bridge = interpolate_poses(current_pose, segment_poses[0], interpolation_steps)
    pause = np.repeat(segment_poses[:1], fixed_steps, axis=0) if fixed_steps else np.zeros((0, 4, 4))
    poses = np.concatenate((bridge, pause, segment_poses))
    gripper = np.concatenate((np.full(len(bridge) + len(pause), current_gripper), segment_gripper))
    return WaypointSequence(poses=poses, gripper=gripper)
