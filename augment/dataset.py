"""The episode dataset store. Its native layout *is* LeRobot v3.0, so a demoforge dataset is a
LeRobot dataset (export is a copy) and a LeRobot dataset is readable here (import is a re-map).

Layout (shared/FORMATS.md §1): meta/info.json, meta/stats.json, meta/tasks.parquet,
meta/episodes/chunk-CCC/file-FFF.parquet, data/chunk-CCC/file-FFF.parquet and
videos/<camera>/chunk-CCC/file-FFF.mp4. demoforge writes **one file per episode** (file index =
episode index mod 1000, chunk = episode index // 1000); lerobot's reader locates every episode
through its meta row, so this is as valid as lerobot's own many-episodes-per-file packing, and it
is what makes appending crash-safe:

1. each video, then the data parquet, is written to a `.tmp` name and renamed into place;
2. the episode's meta row is written and renamed last — the commit point;
3. info.json, stats.json and tasks.parquet are derived from the committed meta rows and rewritten
   (tmp + rename) every 500 episodes, when a task is added and on close, or rebuilt on reopen —
   until then their totals may trail the committed episodes, which `Dataset` lists from the rows.

A `kill -9` at any moment leaves complete episodes (with meta rows) and, at most, orphan files of
the one being written, which `DatasetWriter.append` deletes. Readers never see a half episode.
Nothing on this path uses pickle.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..envs import DemoforgeError
from . import stats as stats_lib
from .video import decode_video

CODEBASE_VERSION = "v3.0"
CHUNKS_SIZE = 1000
DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
VIDEO_PATH = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
EPISODES_PATH = "meta/episodes/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
DEFAULT_FEATURES = {
    "timestamp": {"dtype": "float32", "shape": [1], "names": None},
    "frame_index": {"dtype": "int64", "shape": [1], "names": None},
    "episode_index": {"dtype": "int64", "shape": [1], "names": None},
    "index": {"dtype": "int64", "shape": [1], "names": None},
    "task_index": {"dtype": "int64", "shape": [1], "names": None},
}
META_COLUMN = "demoforge/meta"  # per-episode JSON: seed, profile, drawn domain, source, origin


class DatasetError(DemoforgeError, ValueError):
    """A dataset folder or file that is missing, truncated or inconsistent (the message names it)."""


@dataclass
class Episode:
    """One episode in memory.

    data: feature → (T, *shape) array for every non-video feature except lerobot's five bookkeeping
        columns (timestamp, frame_index, episode_index, index, task_index).
    videos: camera feature → (T, H, W, 3) uint8 frames.
    meta: JSON-ready facts about the episode (seed, profile, drawn domain parameters, source, ...).
    stats: optional per-feature stats of `data` and `videos` computed ahead (`feature_stats`), so
        a writer fed by parallel workers does not compute them on its own critical path.
    """

    task: str
    data: dict[str, np.ndarray]
    videos: dict[str, np.ndarray] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, dict[str, np.ndarray]] | None = None

    def feature_stats(self) -> dict[str, dict[str, np.ndarray]]:
        """Per-episode lerobot stats of every data and video feature."""
        out = {k: stats_lib.vector_stats(np.asarray(v).astype(np.float64)) for k, v in self.data.items()}
        out.update({k: stats_lib.image_stats(v) for k, v in self.videos.items()})
        return out

    @property
    def length(self) -> int:
        return len(next(iter(self.data.values())))


def bookkeeping_columns(
    length: int, fps: int, episode_index: int, first_index: int, task_index: int
) -> dict[str, np.ndarray]:
    """lerobot's five per-frame columns for one episode: timestamp (s from the episode start),
    frame_index, episode_index, index (global row number) and task_index."""
    frame_index = np.arange(length, dtype=np.int64)
    return {
        "timestamp": (frame_index / fps).astype(np.float32),
        "frame_index": frame_index,
        "episode_index": np.full(length, episode_index, np.int64),
        "index": first_index + frame_index,
        "task_index": np.full(length, task_index, np.int64),
    }


def _locate(index: int) -> dict[str, int]:
    return {"chunk_index": index // CHUNKS_SIZE, "file_index": index % CHUNKS_SIZE}


def _atomic_write_bytes(path: Path, write) -> None:
    """Call `write(tmp_path)`, then rename the result onto `path` (atomic on POSIX)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def _write_json(path: Path, obj: Any) -> None:
    _atomic_write_bytes(path, lambda tmp: tmp.write_text(json.dumps(obj, indent=2)))


def _column(values: np.ndarray, dtype: str) -> pa.Array:
    """(T,) → scalar column; (T, D) → fixed_size_list<D> column (what lerobot writes)."""
    arrow_type = pa.from_numpy_dtype(np.dtype(dtype))
    if values.ndim == 1:
        return pa.array(values.astype(dtype), type=arrow_type)
    flat = pa.array(values.reshape(-1).astype(dtype), type=arrow_type)
    return pa.FixedSizeListArray.from_arrays(flat, values.shape[1])


def _to_numpy(column: pa.ChunkedArray | pa.Array, shape: list[int], dtype: str) -> np.ndarray:
    col = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_list(col.type) or pa.types.is_fixed_size_list(col.type) or pa.types.is_large_list(col.type):
        arr = col.flatten().to_numpy(zero_copy_only=False).reshape(len(col), *shape)
    else:
        arr = col.to_numpy(zero_copy_only=False)
        if shape != [1]:
            arr = arr.reshape(len(arr), *shape)
    return arr.astype(dtype)


def video_feature(height: int, width: int, fps: int) -> dict[str, Any]:
    return {
        "dtype": "video",
        "shape": [height, width, 3],
        "names": ["height", "width", "channels"],
        "info": {
            "video.height": height,
            "video.width": width,
            "video.codec": "h264",
            "video.pix_fmt": "yuv420p",
            "video.is_depth_map": False,
            "video.fps": fps,
            "video.channels": 3,
            "has_audio": False,
        },
    }


class Dataset:
    """Read a LeRobot v3.0 dataset (demoforge's or lerobot's own), one episode at a time.

    Raises DatasetError naming the file when info.json or an episode's files are missing or
    inconsistent.
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)
        info_path = self.root / "meta" / "info.json"
        if not info_path.is_file():
            raise DatasetError(f"dataset {self.root}: meta/info.json missing")
        try:
            self.info = json.loads(info_path.read_text())
        except json.JSONDecodeError as exc:
            raise DatasetError(f"dataset {self.root}: meta/info.json is not valid JSON ({exc})") from None
        for key in ("codebase_version", "fps", "features"):
            if key not in self.info:
                raise DatasetError(f"dataset {self.root}: meta/info.json has no {key!r}")
        if not str(self.info["codebase_version"]).startswith("v3."):
            raise DatasetError(
                f"dataset {self.root}: codebase_version {self.info['codebase_version']!r}, expected v3.x"
            )
        self.fps = int(self.info["fps"])
        self.features: dict[str, dict] = self.info["features"]
        self.video_keys = [k for k, f in self.features.items() if f["dtype"] == "video"]
        self.data_keys = [k for k, f in self.features.items() if f["dtype"] != "video" and k not in DEFAULT_FEATURES]
        self.episodes = _read_episode_rows(self.root)
        self.tasks = _read_tasks(self.root)
        self._cache: tuple[Path, pa.Table] | None = None

    def __len__(self) -> int:
        return len(self.episodes)

    @property
    def num_frames(self) -> int:
        return int(sum(row["length"] for row in self.episodes))

    @property
    def stats(self) -> dict[str, dict[str, np.ndarray]]:
        path = self.root / "meta" / "stats.json"
        if not path.is_file():
            return {}
        return {k: {s: np.asarray(v) for s, v in d.items()} for k, d in json.loads(path.read_text()).items()}

    def meta(self, index: int) -> dict[str, Any]:
        raw = self.episodes[index].get(META_COLUMN)
        return json.loads(raw) if raw else {}

    def _table(self, path: Path) -> pa.Table:
        if self._cache is None or self._cache[0] != path:
            if not path.is_file():
                raise DatasetError(f"dataset {self.root}: {path.relative_to(self.root)} missing")
            try:
                self._cache = (path, pq.read_table(path))
            except (pa.ArrowInvalid, OSError) as exc:
                raise DatasetError(f"dataset {self.root}: {path.relative_to(self.root)} unreadable ({exc})") from None
        return self._cache[1]

    def episode(self, index: int, videos: bool = True) -> Episode:
        """Episode `index` with its arrays (and decoded video frames unless `videos=False`)."""
        row = self.episodes[index]
        path = self.root / self.info.get("data_path", DATA_PATH).format(
            chunk_index=row["data/chunk_index"], file_index=row["data/file_index"]
        )
        table = self._table(path)
        ep_col = table.column("episode_index").to_numpy()
        rows = np.flatnonzero(ep_col == row["episode_index"])
        if len(rows) != row["length"]:
            raise DatasetError(
                f"dataset {self.root}: {path.relative_to(self.root)} holds {len(rows)} frames of episode "
                f"{index}, meta says {row['length']}"
            )
        part = table.take(pa.array(rows))
        data = {}
        for key in self.data_keys:
            if key not in part.column_names:
                raise DatasetError(f"dataset {self.root}: {path.relative_to(self.root)} has no column {key!r}")
            f = self.features[key]
            data[key] = _to_numpy(part.column(key), list(f["shape"]), f["dtype"] if f["dtype"] != "string" else "O")
        frames = {}
        if videos:
            for key in self.video_keys:
                vpath = self.root / self.info.get("video_path", VIDEO_PATH).format(
                    video_key=key,
                    chunk_index=row[f"videos/{key}/chunk_index"],
                    file_index=row[f"videos/{key}/file_index"],
                )
                if not vpath.is_file():
                    raise DatasetError(f"dataset {self.root}: {vpath.relative_to(self.root)} missing")
                start = float(row[f"videos/{key}/from_timestamp"])
                frames[key] = decode_video(vpath, start=start, count=int(row["length"]), fps=self.fps)
        task_index = int(part.column("task_index")[0].as_py()) if "task_index" in part.column_names else 0
        task = self.tasks.get(task_index, (row.get("tasks") or [""])[0])
        return Episode(task=task, data=data, videos=frames, meta=self.meta(index))

    def __iter__(self) -> Iterator[Episode]:
        for i in range(len(self)):
            yield self.episode(i)

    def iter_episodes(self, videos: bool = True) -> Iterator[Episode]:
        for i in range(len(self)):
            yield self.episode(i, videos=videos)


def _read_episode_rows(root: Path) -> list[dict[str, Any]]:
    folder = root / "meta" / "episodes"
    files = sorted(folder.glob("*/*.parquet"))
    if not files:
        return []
    rows: list[dict[str, Any]] = []
    for f in files:
        try:
            table = pq.read_table(f)
        except (pa.ArrowInvalid, OSError) as exc:
            raise DatasetError(f"dataset {root}: {f.relative_to(root)} unreadable ({exc})") from None
        keep = [c for c in table.column_names if not c.startswith(("stats/", "demoforge/stats"))]
        rows.extend(table.select(keep).to_pylist())
    for i, row in enumerate(rows):
        if row["episode_index"] != i:
            raise DatasetError(f"dataset {root}: meta/episodes row {i} is episode {row['episode_index']}")
    return rows


def _read_tasks(root: Path) -> dict[int, str]:
    path = root / "meta" / "tasks.parquet"
    if not path.is_file():
        return {}
    df = pd.read_parquet(path)
    return {int(i): str(t) for t, i in zip(df.index, df["task_index"])}
