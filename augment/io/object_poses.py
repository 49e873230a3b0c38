"""Initial object poses of real-robot episodes, from a side file the user measured.

A real robot records no object poses; generation needs each object's pose where a segment starts
(MimicGen transforms a segment by its reference object's pose there). For objects that rest until
the gripper takes them, the pose at the episode's start is that pose, so one measurement per
episode and object suffices (an AprilTag, a pose estimator, a ruler).

CSV, one row per episode and object, header required:

    episode,object,x,y,z,qw,qx,qy,qz
    0,cube,0.512,-0.034,0.82,0.98,0,0,0.199

JSON, the same numbers keyed by episode index, then object name:

    {"0": {"cube": {"pos": [0.512, -0.034, 0.82], "quat": [0.98, 0, 0, 0.199]}}}

Position: metres, the task's world frame (the frame the robot description places the arm's base
in). Quaternion: scalar first (w, x, y, z), MuJoCo's order, of unit norm within `QUAT_TOLERANCE`.
Every episode of the dataset and every object of the task must appear exactly once.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from ..data.safety import DatasetError, read_json, read_text

CSV_COLUMNS = ("episode", "object", "x", "y", "z", "qw", "qx", "qy", "qz")
# A measured quaternion written with 3 decimals is off unit norm by up to ~2e-3; one this far off
# is a typo or another convention (a rotation vector, Euler angles), not rounding.
QUAT_TOLERANCE = 0.01


def _pose(where: str, pos: list, quat: list) -> np.ndarray:
    values = [*pos, *quat]
    try:
        numbers = [float(v) for v in values]
    except (TypeError, ValueError):
        raise DatasetError(f"{where}: pose {values!r} holds a non-number") from None
    if len(pos) != 3 or len(quat) != 4:
        raise DatasetError(f"{where}: expected position x y z and quaternion w x y z, got {len(pos)} + {len(quat)}")
    if not all(math.isfinite(v) for v in numbers):
        raise DatasetError(f"{where}: pose {numbers} is not finite")
    q = np.array(numbers[3:])
    norm = float(np.linalg.norm(q))
    if abs(norm - 1.0) > QUAT_TOLERANCE:
        raise DatasetError(
            f"{where}: quaternion (w, x, y, z) = {numbers[3:]} has norm {norm:.4g}, expected 1 "
            f"(within {QUAT_TOLERANCE}; scalar first)"
        )
    return np.concatenate([numbers[:3], q / norm])


def _episode(where: str, value: object) -> int:
    text = str(value).strip()
    if not text.isdigit():
        raise DatasetError(f"{where}: episode {value!r} is not an episode index (0, 1, ...)")
    return int(text)


def _rows_csv(path: Path) -> list[tuple[str, int, str, np.ndarray]]:
    reader = csv.DictReader(io.StringIO(read_text(path, "object-pose file")))
    header = tuple(h.strip() for h in reader.fieldnames or ())
    if header != CSV_COLUMNS:
        raise DatasetError(f"object-pose file {path}: header {','.join(header)!r}, expected {','.join(CSV_COLUMNS)!r}")
    rows = []
    for line, row in enumerate(reader, start=2):
        where = f"object-pose file {path} line {line}"
        if None in row or any(v is None for v in row.values()):
            raise DatasetError(f"{where}: expected {len(CSV_COLUMNS)} columns ({','.join(CSV_COLUMNS)})")
        row = {k.strip(): v.strip() for k, v in row.items()}
        pose = _pose(where, [row[c] for c in "xyz"], [row[c] for c in ("qw", "qx", "qy", "qz")])
        rows.append((where, _episode(where, row["episode"]), row["object"], pose))
    return rows


def _rows_json(path: Path) -> list[tuple[str, int, str, np.ndarray]]:
    data = read_json(path, "object-pose file")
    rows = []
    for key, objects in data.items():
        where = f"object-pose file {path} episode {key!r}"
        if not isinstance(objects, dict):
            raise DatasetError(f"{where}: expected an object of object name → {{pos, quat}}")
        for name, pose in objects.items():
            at = f"{where} object {name!r}"
            if (
                not isinstance(pose, dict)
                or set(pose) != {"pos", "quat"}
                or not all(isinstance(pose[k], list) for k in pose)
            ):
                raise DatasetError(f'{at}: expected {{"pos": [x, y, z], "quat": [w, x, y, z]}}')
            rows.append((at, _episode(where, key), name, _pose(at, pose["pos"], pose["quat"])))
    return rows


def load_object_poses(path: str | Path, objects: tuple[str, ...]) -> dict[int, np.ndarray]:
    """Episode index → (len(objects), 7) initial poses, position xyz ‖ unit quaternion wxyz, in
    the task's `objects` order, from a .csv or .json side file (module docstring). Raises a
    one-line DatasetError naming the file (and line) for a missing or repeated object, an unknown
    object name, or a pose that is not finite or not of unit norm. Whether every episode of the
    dataset has poses is `check_episodes`' question, asked once the dataset's length is known."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"object-pose file {path} not found")
    if path.suffix.lower() == ".csv":
        rows = _rows_csv(path)
    elif path.suffix.lower() == ".json":
        rows = _rows_json(path)
    else:
        raise DatasetError(f"object-pose file {path}: expected a .csv or .json file")
    out: dict[int, np.ndarray] = {}
    for where, episode, name, pose in rows:
        if name not in objects:
            raise DatasetError(f"{where}: unknown object {name!r}; the task's objects: {', '.join(objects)}")
        poses = out.setdefault(episode, np.full((len(objects), 7), np.nan))
        k = objects.index(name)
        if not np.isnan(poses[k, 0]):
            raise DatasetError(f"{where}: episode {episode} object {name!r} given twice")
        poses[k] = pose
    for episode, poses in sorted(out.items()):
        lacking = [objects[k] for k in np.flatnonzero(np.isnan(poses[:, 0]))]
        if lacking:
            raise DatasetError(f"object-pose file {path}: episode {episode} has no pose for object {lacking[0]!r}")
    if not out:
        raise DatasetError(f"object-pose file {path}: holds no poses")
    return out


def check_episodes(path: str | Path, poses: dict[int, np.ndarray], episodes: int) -> None:
    """One-line DatasetError when the side file misses one of `episodes` episodes or names one
    the dataset does not hold (a file for another dataset, or counted from 1)."""
    missing = [e for e in range(episodes) if e not in poses]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise DatasetError(f"object-pose file {path}: no poses for episode {missing[0]}{more} of {episodes}")
    extra = sorted(e for e in poses if e >= episodes)
    if extra:
        raise DatasetError(
            f"object-pose file {path}: poses for episode {extra[0]}, but the dataset holds episodes 0..{episodes - 1}"
        )
