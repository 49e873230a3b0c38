"""Compress: drop the idle waypoints of a source segment before it is replayed.

MimicGen replays source segments verbatim, so every generated demo inherits the source's
hesitations and hovering (see `augment/idle.py`) and is as hard to learn from as the source.
Measured on Stack (10 human-like sources, 200 generated, BC, 40 episodes): synthetic-only
success 1/40 with verbatim replay, 13/40 with compression. The segment still starts and ends
where the source did, and keeps every gripper switch and the frames while the fingers move.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ...envs.geometry import mat_to_axis_angle
from ..data.idle import progress_mask
from .segment import SourceSegment


def compress_segment(
    seg: SourceSegment, min_motion: float, min_rotation: float, keep_after_switch: int, keep_arrival: int = 0
) -> SourceSegment:
    """`seg` with its idle waypoints dropped."""
    targets = seg.targets
    keep = progress_mask(
        targets[:, :3, 3], seg.gripper, targets[:, :3, :3], min_motion, min_rotation, keep_after_switch, keep_arrival
    )
    return replace(seg, targets=targets[keep], gripper=seg.gripper[keep], object_targets=seg.object_targets[keep])


def shortcut_loops(seg: SourceSegment, radius: float, max_turn: float = 0.1) -> SourceSegment:
    """`seg` without its loops: from each kept waypoint, the replay jumps to the last later one
    within `radius` (m) and `max_turn` (rad) of it with no gripper switch between, dropping the
    excursion in between. An operator steering a lagging arm overshoots and comes back: a source
    recorded under two steps of latency swings ±2 cm about the hole before it descends
    (PegInsert), and a replay that lines up on every waypoint of the swing runs out of time
    (docs/calibration.md). Each segment keeps its first and last waypoint."""
    n = len(seg.targets)
    if radius <= 0 or n <= 2:
        return seg
    pos, rot, closed = seg.targets[:, :3, 3], seg.targets[:, :3, :3], seg.gripper > 0
    keep, i = [0], 0
    while i < n - 1:
        same_grip = np.flatnonzero(closed[i + 1 :] != closed[i])
        reach = i + 1 + (same_grip[0] if len(same_grip) else n - 1 - i)  # waypoints before the next switch
        near = np.linalg.norm(pos[i + 1 : reach] - pos[i], axis=1) < radius
        turn = np.array([np.linalg.norm(mat_to_axis_angle(r @ rot[i].T)) for r in rot[i + 1 : reach]])
        back = np.flatnonzero(near & (turn < max_turn)) if reach > i + 1 else np.array([], int)
        i = i + 1 + int(back[-1]) if len(back) and back[-1] > 0 else i + 1
        keep.append(i)
    keep = np.array(sorted(set(keep) | {n - 1}))
    return replace(seg, targets=seg.targets[keep], gripper=seg.gripper[keep], object_targets=seg.object_targets[keep])
