"""Stitch: turn a transformed segment into the waypoints to execute from where the arm is now.

First an interpolation from the current TCP pose to the segment's first transformed pose
(`interpolation_steps`, gripper held as it was), then an optional pause (`fixed_steps`), then the
segment itself with its recorded gripper commands (optionally held still at each switch).
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
    # (T, 4, 4) where the held object should be at each step, NaN where the TCP pose is tracked
    # instead (the bridge); None when nothing is carried.
    object_targets: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.poses)


def gripper_switches(gripper: np.ndarray) -> np.ndarray:
    """Indices of the commands that switch the gripper open↔closed (the first new command)."""
    return np.flatnonzero(np.sign(gripper[1:]) != np.sign(gripper[:-1])) + 1


def hold_at_gripper_changes(gripper: np.ndarray, steps: int) -> np.ndarray:
    """Indices into a segment that repeat the first waypoint of each open↔close switch `steps`
    times, with the new gripper command: the arm holds still while the fingers move. The tracking
    controller trails a moving waypoint slightly; holding lets it finish arriving.

    The hold carries the *new* command on purpose. Holding with the old one (as we first did)
    records the same state with "keep waiting" several times and then "switch" once, and a
    policy that sees one state cannot tell when to switch: measured on Stack, synthetic-only BC
    went from 26/40 without holds to 13/40 with three old-command holds."""
    idx = np.arange(len(gripper))
    if steps <= 0 or len(gripper) < 2:
        return idx
    return np.sort(np.concatenate([idx, np.repeat(gripper_switches(gripper), steps)]), kind="stable")


def stitch(
    current_pose: np.ndarray,
    current_gripper: float,
    segment_poses: np.ndarray,
    segment_gripper: np.ndarray,
    interpolation_steps: int = 5,
    fixed_steps: int = 0,
    gripper_hold_steps: int = 0,
    object_targets: np.ndarray | None = None,
) -> WaypointSequence:
    """The waypoints from `current_pose` through the segment; `object_targets` (T, 4, 4), when a
    held object is tracked, come out aligned with the waypoints (NaN over the bridge and pause)."""
    idx = hold_at_gripper_changes(segment_gripper, gripper_hold_steps)
    segment_poses, segment_gripper = segment_poses[idx], segment_gripper[idx]
    bridge = interpolate_poses(current_pose, segment_poses[0], interpolation_steps)
    pause = np.repeat(segment_poses[:1], fixed_steps, axis=0) if fixed_steps else np.zeros((0, 4, 4))
    poses = np.concatenate((bridge, pause, segment_poses))
    lead = len(bridge) + len(pause)
    gripper = np.concatenate((np.full(lead, current_gripper), segment_gripper))
    if object_targets is not None:
        object_targets = np.concatenate((np.full((lead, 4, 4), np.nan), object_targets[idx]))
    return WaypointSequence(poses=poses, gripper=gripper, object_targets=object_targets)
