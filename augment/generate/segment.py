"""Segment: cut each source demo into object-centric subtask segments.

With subtask signals (demoforge's own recordings), subtask k ends at the first frame where its
signal turns on (+ an offset), as MimicGen does. Without them (imported demos), a heuristic: a
subtask whose signal is a grasp ends at the gripper's first close command. A segment carries what
the later steps need: the TCP target poses over its frames, the gripper commands, and the pose of
its reference object at the segment's first frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...envs import Subtask
from ...envs.geometry import pose7_to_mat
from ..data.dataset import DatasetError, Episode
from ..data.record import reached, signals_in_frames
from .transform import target_poses


@dataclass(frozen=True)
class SourceSegment:
    source_episode: int
    subtask: int
    start: int  # frame range [start, end) in the source episode
    end: int
    targets: np.ndarray  # (T, 4, 4) TCP targets, world frame
    gripper: np.ndarray  # (T,) gripper commands in [-1, 1]
    object_pose: np.ndarray  # (4, 4) reference object's pose at frame `start`
    eef_pose: np.ndarray  # (4, 4) TCP pose at frame `start`
    object_poses: np.ndarray  # (n_objects, 4, 4) every object's pose at frame `start`
    # (T, n_objects, 4, 4) where each object would be at each target if it were held rigidly:
    # T_target · T_eef⁻¹ · T_obj per frame. For a carried object this is the path the source
    # demonstrator steered it along (see runner: held objects are tracked, not the TCP).
    object_targets: np.ndarray


REQUIRED = ("action", "datagen.eef_pose", "datagen.object_poses")
STATIC_TOLERANCE = 0.01  # m a segment's reference object may drift and still count as static


def boundaries(ep: Episode, subtasks: tuple[Subtask, ...], signal_names: list[str], offset: int = 0) -> list[int]:
    """End frame (exclusive) of each subtask; the last is the episode's end."""
    n = ep.length
    ends = []
    signals = signals_in_frames(ep.data)
    for k, sub in enumerate(subtasks[:-1]):
        if signals is not None and sub.signal in signal_names:
            on = np.flatnonzero(signals[:, signal_names.index(sub.signal)])
            source = "signal"
        elif sub.grasp:  # heuristic for demos without signals: the first close command
            on = np.flatnonzero(ep.data["action"][:, -1] > 0)
            source = "gripper"
        else:
            raise DatasetError(f"source episode has no signal {sub.signal!r} to segment subtask {k} on")
        start = ends[-1] if ends else 0
        on = on[on > start]
        if len(on) == 0:
            raise DatasetError(f"source episode never reaches subtask {k} ({sub.signal}, by {source})")
        ends.append(min(int(on[0]) + 1 + offset, n - 1))
    ends.append(n)
    return ends


def reference_moved(ep_objects: np.ndarray, start: int, end: int, ref: int) -> float:
    """How far (m) the reference object drifted over frames [start, end). MimicGen assumes it
    stays put; a demo that shoved it (a cube pushed across the table while stacking) would
    teach the transform the wrong anchor."""
    pos = ep_objects[start:end, ref, :3, 3]
    return float(np.max(np.linalg.norm(pos - pos[0], axis=1)))


def segment_episode(
    ep: Episode,
    index: int,
    subtasks: tuple[Subtask, ...],
    objects: tuple[str, ...],
    signal_names: list[str],
    max_pos: float,
    max_rot: float,
    offset: int = 0,
) -> list[SourceSegment]:
    """The subtask segments of source episode `ep` (number `index`), leaving out any whose
    reference object did not stay put (see `reference_moved`)."""
    missing = [k for k in REQUIRED if k not in ep.data]
    if missing:
        raise DatasetError(
            f"source episode {index} lacks {missing}: generation needs per-frame TCP and object poses "
            "(record demos with `demoforge collect`, or map those fields on import)"
        )
    # Each frame's action is aimed from the pose it *reached* (frame t + 1), not the one it was
    # taken in: the replay tracks its waypoints at tracking_gain 0.6 through a step of latency, and
    # this one-step lead keeps it up with the source. Measured on PegInsert (1000 demos, BC,
    # 200 episodes in randomized): aimed from frame t, kept rate 53.7 → 52.4 % but synthetic-only
    # success 83.5 → 70 %. (Until the recorder stored post-step poses by mistake, this was implicit.)
    eef = reached(pose7_to_mat(ep.data["datagen.eef_pose"]))
    objs = reached(pose7_to_mat(ep.data["datagen.object_poses"].reshape(ep.length, -1, 7)))
    actions = ep.data["action"].astype(np.float64)
    targets = target_poses(eef, actions, max_pos, max_rot)
    ends = boundaries(ep, subtasks, signal_names, offset)
    segments, start = [], 0
    for k, (sub, end) in enumerate(zip(subtasks, ends)):
        ref = objects.index(sub.object)
        held_before = k > 0 and subtasks[k - 1].object == sub.object
        # Check the anchor only while it should be still: not when it is the object carried in,
        # and not over the `offset` frames after a grasp, when it is being lifted.
        check_end = end if k == len(subtasks) - 1 else max(start + 1, end - offset)
        if not held_before and reference_moved(objs, start, check_end, ref) > STATIC_TOLERANCE:
            start = end
            continue
        segments.append(
            SourceSegment(
                source_episode=index,
                subtask=k,
                start=start,
                end=end,
                targets=targets[start:end],
                gripper=actions[start:end, -1],
                object_pose=objs[start, ref],
                eef_pose=eef[start],
                object_poses=objs[start],
                object_targets=targets[start:end, None] @ np.linalg.inv(eef[start:end])[:, None] @ objs[start:end],
            )
        )
        start = end
    return segments
