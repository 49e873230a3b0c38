"""Compress: drop the idle waypoints of a source segment before it is replayed.

MimicGen replays source segments verbatim, so every generated demo inherits the source's
hesitations and hovering (see `augment/idle.py`) and is as hard to learn from as the source.
Measured on Stack (10 human-like sources, 200 generated, BC, 40 episodes): synthetic-only
success 1/40 with verbatim replay, 13/40 with compression. The segment still starts and ends
where the source did, and keeps every gripper switch and the frames while the fingers move.
"""

from __future__ import annotations

from dataclasses import replace

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
