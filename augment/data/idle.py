"""Idle frames: the waiting in a demonstration that a policy cannot learn to time.

A person teleoperating hesitates, hovers while lining things up and waits before letting go, for
a random number of steps. Seen one state at a time, that records the same state with "wait" many
times and "go" once. `progress_mask` finds the frames that make progress; the rest are idle.
Generation drops idle waypoints from its source segments (generate/compress.py), and every
recorded episode carries its `idle_fraction` (shown by `demoforge info`).
"""

from __future__ import annotations

import numpy as np

from ...envs.geometry import mat_to_axis_angle

MIN_MOTION = 0.005  # m the TCP must move from the last progressing frame to progress again
MIN_ROTATION = 0.05  # rad, the same for turning
KEEP_AFTER_SWITCH = 6  # frames after a gripper switch that progress anyway: the fingers are moving


def progress_mask(
    pos: np.ndarray,
    gripper: np.ndarray,
    rot: np.ndarray | None = None,
    min_motion: float = MIN_MOTION,
    min_rotation: float = MIN_ROTATION,
    keep_after_switch: int = KEEP_AFTER_SWITCH,
    keep_arrival: int = 0,
) -> np.ndarray:
    """(T,) bool: frame t progresses when the TCP position `pos` (T, 3) moved `min_motion` or its
    rotation `rot` (T, 3, 3) turned `min_rotation` since the last progressing frame, when the
    gripper command switches, or within `keep_after_switch` frames after a switch. The first
    `keep_arrival` frames of each stretch without progress count too: the arm decelerating onto a
    waypoint (dropping those makes a replay turn corners at full speed and overshoot). The first and
    last frames always count, so a trajectory keeps its ends."""
    n = len(pos)
    keep = np.ones(n, bool)
    if n <= 2 or (min_motion <= 0 and min_rotation <= 0):
        return keep
    closed = gripper > 0
    last, hold, still = 0, 0, 0
    for t in range(1, n - 1):
        if closed[t] != closed[t - 1]:
            hold = keep_after_switch + 1
        moved = np.linalg.norm(pos[t] - pos[last]) >= min_motion
        turned = rot is not None and np.linalg.norm(mat_to_axis_angle(rot[t] @ rot[last].T)) >= min_rotation
        still = 0 if (moved or turned) else still + 1
        keep[t] = hold > 0 or moved or turned or still <= keep_arrival
        if keep[t]:
            last = t
        hold = max(hold - 1, 0)
    return keep


def idle_fraction(pos: np.ndarray, gripper: np.ndarray) -> float:
    """Share of an episode's frames that make no progress (TCP position only)."""
    return float(1.0 - progress_mask(pos, gripper).mean()) if len(pos) else 0.0
