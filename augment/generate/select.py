"""Select: pick a source segment for the current subtask in the new scene (MimicGen's strategies).

random            — any source segment.
nearest_object    — segments whose reference object started nearest (position, plus yaw at
                    `rot_weight` m per rad) to where the object is now; one of the `k` nearest.
nearest_eef_object — segments whose TCP-in-object-frame pose at their start is nearest to the
                    current TCP-in-object-frame pose (where the gripper is relative to the object).
Every draw comes from the `rng` passed in: selection is reproducible from the episode's seed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ...envs import UnknownNameError
from ...envs.geometry import mat_to_axis_angle, pose_inv
from .segment import SourceSegment


def _pose_distance(a: np.ndarray, b: np.ndarray, rot_weight: float) -> float:
    return float(
        np.linalg.norm(a[:3, 3] - b[:3, 3]) + rot_weight * np.linalg.norm(mat_to_axis_angle(a[:3, :3] @ b[:3, :3].T))
    )


def select_random(candidates, obj_now, eef_now, rng, k=3, rot_weight=0.1) -> SourceSegment:
    return candidates[int(rng.integers(len(candidates)))]


def _nearest(
    distances: list[float], candidates: list[SourceSegment], rng: np.random.Generator, k: int
) -> SourceSegment:
    order = np.argsort(distances, kind="stable")[: max(1, min(k, len(candidates)))]
    return candidates[int(order[rng.integers(len(order))])]


def select_nearest_object(candidates, obj_now, eef_now, rng, k=3, rot_weight=0.1) -> SourceSegment:
    return _nearest([_pose_distance(c.object_pose, obj_now, rot_weight) for c in candidates], candidates, rng, k)


def select_nearest_eef_object(candidates, obj_now, eef_now, rng, k=3, rot_weight=0.1) -> SourceSegment:
    now = pose_inv(obj_now) @ eef_now
    dists = [_pose_distance(pose_inv(c.object_pose) @ c.eef_pose, now, rot_weight) for c in candidates]
    return _nearest(dists, candidates, rng, k)


STRATEGIES: dict[str, Callable[..., SourceSegment]] = {
    "random": select_random,
    "nearest_object": select_nearest_object,
    "nearest_eef_object": select_nearest_eef_object,
}


def get_strategy(name: str) -> Callable[..., SourceSegment]:
    if name not in STRATEGIES:
        raise UnknownNameError(f"unknown selection strategy {name!r}; known: {', '.join(STRATEGIES)}")
    return STRATEGIES[name]
