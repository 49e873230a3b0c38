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


def stitch(
    current_pose: np.ndarray,
    current_gripper: float,
    segment_poses: np.ndarray,
    segment_gripper: np.ndarray,
    interpolation_steps: int = 5,
    fixed_steps: int = 0,
) -> WaypointSequence:
    bridge = interpolate_poses(current_pose, segment_poses[0], interpolation_steps)
    pause = np.repeat(segment_poses[:1], fixed_steps, axis=0) if fixed_steps else np.zeros((0, 4, 4))
    poses = np.concatenate((bridge, pause, segment_poses))
    gripper = np.concatenate((np.full(len(bridge) + len(pause), current_gripper), segment_gripper))
    return WaypointSequence(poses=poses, gripper=gripper)
