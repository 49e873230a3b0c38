"""`DatasetWriter`: appends episodes to the store crash-safely (see dataset.py for the protocol)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import stats as stats_lib
from .dataset import (
    CHUNKS_SIZE,
    CODEBASE_VERSION,
    DATA_PATH,
    DEFAULT_FEATURES,
    EPISODES_PATH,
    META_COLUMN,
    VIDEO_PATH,
    Dataset,
    DatasetError,
    Episode,
    arrow_column,
    atomic_write_bytes,
    bookkeeping_columns,
    chunk_location,
    write_json,
)
from .video import encode_video

STATS_EVERY = 500  # episodes between metadata refreshes while writing (always on close; rebuilt on reopen)
# Per-episode files are small: parquet's dictionary pages and column statistics cost more time
# than they save (readers here scan whole files), ~25 % of a state-only episode's write time.
PARQUET_OPTIONS = {"use_dictionary": False, "write_statistics": False}
# lerobot writes per-episode stats as `stats/<feature>/<stat>` list columns; its reader drops them
# (shared/FORMATS.md §1.4), so demoforge keeps them in one npz blob, read back without pickle.
STATS_COLUMN = "demoforge/stats"


class DatasetWriter:
    """Append-only writer. Use `DatasetWriter.create(...)` for a new dataset or
    `DatasetWriter.append(root)` to continue one (after a crash too), as a context manager:

        with DatasetWriter.create("out", features, fps=20) as w:
            w.add_episode(episode)

    Memory holds one episode's frames at a time (plus a few numbers of stats per episode).
    """

    def __init__(self, root: Path, info: dict[str, Any], tasks: dict[str, int], episode_stats: list[dict]):
        self.root = root
        self.info = info
        self.fps = int(info["fps"])
        self.features = info["features"]
        self.video_keys = [k for k, f in self.features.items() if f["dtype"] == "video"]
        self.data_keys = [k for k, f in self.features.items() if f["dtype"] != "video" and k not in DEFAULT_FEATURES]
        self.tasks = tasks
        self.episode_stats = episode_stats
        self.num_episodes = int(info["total_episodes"])
        self.num_frames = int(info["total_frames"])
        self._tasks_written = -1  # tasks.parquet is rewritten only when a task is added

    # opening ------------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        root: str | Path,
        features: dict[str, dict],
        fps: int,
        robot_type: str = "panda",
        sidecars: dict[str, Any] | None = None,
    ) -> DatasetWriter:
        """Start a new dataset at `root`, which must not exist or be an empty folder (or one a
        killed `create` left: `is_blank`). `sidecars` (relative path → JSON) are written before
        meta/info.json, so a dataset that has info.json always has them."""
        root = Path(root)
        if root.exists() and not root.is_dir():
            raise DatasetError(f"dataset {root}: exists and is a file, expected a folder (refusing to overwrite)")
        if root.exists() and any(root.iterdir()):
            if not is_blank(root, allowed=set(sidecars or ())):
                raise DatasetError(f"dataset {root}: already exists and is not empty (refusing to overwrite)")
            clear_blank(root)
        if isinstance(fps, bool) or int(fps) != fps or not 1 <= fps <= 10_000:
            raise DatasetError(f"dataset {root}: fps {fps!r}, expected a whole number in 1..10000")
        for key in features:
            if "/" in key:
                raise DatasetError(f"feature name {key!r} must not contain '/'")
            if key in DEFAULT_FEATURES:
                raise DatasetError(f"feature name {key!r} is reserved by lerobot")
        info = {
            "codebase_version": CODEBASE_VERSION,
            "robot_type": robot_type,
            "total_episodes": 0,
            "total_frames": 0,
            "total_tasks": 0,
            "chunks_size": CHUNKS_SIZE,
            "data_files_size_in_mb": 100,
            "video_files_size_in_mb": 200,
            "fps": int(fps),
            "splits": {"train": "0:0"},
            "data_path": DATA_PATH,
            "video_path": VIDEO_PATH if any(f["dtype"] == "video" for f in features.values()) else None,
            "features": {**features, **DEFAULT_FEATURES},
        }
        root.mkdir(parents=True, exist_ok=True)
        for rel, obj in (sidecars or {}).items():
            write_json(root / rel, obj)
        writer = cls(root, info, {}, [])
        writer._write_meta(with_stats=True)
        return writer

    @classmethod
    def append(cls, root: str | Path) -> DatasetWriter:
        """Reopen `root` for appending: drop what a crash left half-written, rebuild the metadata."""
        root = Path(root)
        info_path = root / "meta" / "info.json"
        if not info_path.is_file():
            raise DatasetError(f"dataset {root}: meta/info.json missing")
        try:
            info = json.loads(info_path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DatasetError(f"dataset {root}: meta/info.json is not valid JSON ({exc})") from None
        Dataset(root)  # validates info.json, the meta rows and the path templates
        rows = _committed_rows(root)
        for i, (row, _) in enumerate(rows):
            if row["episode_index"] != i:
                raise DatasetError(f"dataset {root}: meta/episodes has episode {row['episode_index']} at row {i}")
        info["total_episodes"] = len(rows)
        info["total_frames"] = int(rows[-1][0]["dataset_to_index"]) if rows else 0
        tasks = {}
        for row, _ in rows:
            tasks.setdefault(row["tasks"][0], int(row["demoforge/task_index"]))
        writer = cls(root, info, tasks, [s for _, s in rows])
        writer._remove_orphans()
        writer._write_meta(with_stats=True)
        return writer

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._write_meta(with_stats=True)

    # writing ------------------------------------------------------------------------------------

    def add_episode(self, episode: Episode) -> int:
        """Validate, then write and commit `episode`; returns its index."""
        self._validate(episode)
        index, length = self.num_episodes, episode.length
        loc = chunk_location(index)
        task_index = self.tasks.setdefault(episode.task, len(self.tasks))
        start = self.num_frames

        ep_stats = dict(episode.stats) if episode.stats is not None else episode.feature_stats()
        for key in self.video_keys:
            path = self.root / VIDEO_PATH.format(video_key=key, **loc)
            atomic_write_bytes(path, lambda tmp, k=key: encode_video(tmp, episode.videos[k], self.fps))

        defaults = bookkeeping_columns(length, self.fps, index, start, task_index)
        columns = {}
        for key, f in self.features.items():
            if f["dtype"] == "video":
                continue
            values = defaults[key] if key in defaults else episode.data[key]
            columns[key] = arrow_column(np.asarray(values), f["dtype"])
            if key in defaults:
                ep_stats[key] = stats_lib.vector_stats(values.astype(np.float64))
        table = pa.table(columns)
        atomic_write_bytes(
            self.root / DATA_PATH.format(**loc), lambda tmp: pq.write_table(table, tmp, **PARQUET_OPTIONS)
        )

        row: dict[str, Any] = {
            "episode_index": index,
            "tasks": [episode.task],
            "length": length,
            "data/chunk_index": loc["chunk_index"],
            "data/file_index": loc["file_index"],
            "dataset_from_index": start,
            "dataset_to_index": start + length,
        }
        for key in self.video_keys:
            row[f"videos/{key}/chunk_index"] = loc["chunk_index"]
            row[f"videos/{key}/file_index"] = loc["file_index"]
            row[f"videos/{key}/from_timestamp"] = 0.0
            row[f"videos/{key}/to_timestamp"] = length / self.fps
        row[STATS_COLUMN] = _pack_stats(ep_stats)
        row["meta/episodes/chunk_index"] = loc["chunk_index"]
        row["meta/episodes/file_index"] = loc["file_index"]
        row["demoforge/task_index"] = task_index
        row[META_COLUMN] = json.dumps(episode.meta, default=_json_default)
        meta_table = pa.Table.from_pylist([row])
        atomic_write_bytes(
            self.root / EPISODES_PATH.format(**loc), lambda tmp: pq.write_table(meta_table, tmp, **PARQUET_OPTIONS)
        )

        # committed
        self.num_episodes += 1
        self.num_frames += length
        self.episode_stats.append(ep_stats)
        if self.num_episodes % STATS_EVERY == 0 or len(self.tasks) != self._tasks_written:
            self._write_meta(with_stats=True)
        return index

    def _validate(self, episode: Episode) -> None:
        if not episode.data:
            raise DatasetError("episode has no data arrays")
        missing = sorted(set(self.data_keys) - set(episode.data))
        extra = sorted(set(episode.data) - set(self.data_keys))
        if missing or extra:
            raise DatasetError(f"episode features do not match the dataset: missing {missing}, unexpected {extra}")
        lengths = {k: len(v) for k, v in episode.data.items()} | {k: len(v) for k, v in episode.videos.items()}
        if len(set(lengths.values())) != 1:
            raise DatasetError(f"episode arrays differ in length: {lengths}")
        if episode.length == 0:
            raise DatasetError("episode has no frames")
        for key in self.data_keys:
            want = tuple(self.features[key]["shape"])
            values = np.asarray(episode.data[key])
            got = values.shape[1:] or (1,)
            if got != want:
                raise DatasetError(f"episode feature {key!r} has per-frame shape {got}, dataset declares {want}")
            if values.dtype.kind in "fc" and not np.isfinite(values).all():
                frame = int(np.flatnonzero(~np.isfinite(values.reshape(len(values), -1)).all(axis=1))[0])
                raise DatasetError(f"episode feature {key!r} holds NaN or inf (frame {frame}); refusing to store it")
        for key in self.video_keys:
            frames = episode.videos.get(key)
            want = tuple(self.features[key]["shape"])
            if frames is None:
                raise DatasetError(f"episode has no frames for camera {key!r}")
            if frames.shape[1:] != want or frames.dtype != np.uint8:
                raise DatasetError(
                    f"camera {key!r} frames are {frames.dtype} {frames.shape[1:]}, dataset declares uint8 {want}"
                )

    # metadata -------------------------------------------------------------------------------------

    def _write_meta(self, with_stats: bool) -> None:
        self.info.update(
            total_episodes=self.num_episodes,
            total_frames=self.num_frames,
            total_tasks=len(self.tasks),
            splits={"train": f"0:{self.num_episodes}"},
        )
        write_json(self.root / "meta" / "info.json", self.info)
        if len(self.tasks) != self._tasks_written or not (self.root / "meta" / "tasks.parquet").is_file():
            ordered = sorted(self.tasks, key=self.tasks.get)
            df = pd.DataFrame({"task_index": [self.tasks[t] for t in ordered]}, index=pd.Index(ordered, name="task"))
            atomic_write_bytes(self.root / "meta" / "tasks.parquet", lambda tmp: df.to_parquet(tmp))
            self._tasks_written = len(self.tasks)
        if with_stats and self.episode_stats:
            keys = self.episode_stats[0].keys()
            agg = {k: stats_lib.to_json(stats_lib.aggregate([s[k] for s in self.episode_stats])) for k in keys}
            write_json(self.root / "meta" / "stats.json", agg)

    def _remove_orphans(self) -> None:
        """Delete `.tmp` files and any data/video/meta file of an episode that never committed."""
        for tmp in self.root.rglob("*.tmp"):
            tmp.unlink()
        for folder in ("data", "videos", "meta/episodes"):
            for f in (self.root / folder).rglob("file-*.*"):
                chunk = int(f.parent.name.split("-")[1])
                index = chunk * CHUNKS_SIZE + int(f.stem.split("-")[1])
                if index >= self.num_episodes:
                    f.unlink()


CREATE_FILES = {"meta/info.json", "meta/tasks.parquet", "meta/stats.json"}  # what `create` writes


def is_blank(root: Path, allowed: set[str] = frozenset()) -> bool:
    """True when `root` holds only what `DatasetWriter.create` writes before any episode commits
    (plus `allowed` relative paths and `.tmp` files): what a kill right after creation leaves."""
    if not root.is_dir():
        return False
    for p in root.rglob("*"):
        if p.is_symlink() or (
            p.is_file()
            and not (p.name.endswith(".tmp") or p.relative_to(root).as_posix() in CREATE_FILES | set(allowed))
        ):
            return False
    return not any((root / "meta" / "episodes").glob("*/*.parquet"))


def clear_blank(root: Path) -> None:
    """Remove the files of a blank dataset (`is_blank`) and its empty folders, keeping `root`."""
    for p in sorted(root.rglob("*"), key=lambda q: len(q.parts), reverse=True):
        if p.is_file():
            p.unlink()
        elif p.is_dir() and not any(p.iterdir()):
            p.rmdir()


def _committed_rows(root: Path) -> list[tuple[dict[str, Any], dict[str, dict[str, np.ndarray]]]]:
    """(meta row, per-episode stats) for every committed episode, in order."""
    out = []
    for f in sorted((root / "meta" / "episodes").glob("*/*.parquet")):
        try:
            row = pq.read_table(f).to_pylist()[0]
            out.append((row, unpack_stats(row.pop(STATS_COLUMN))))
        except (ValueError, OSError, KeyError, TypeError, IndexError, EOFError, zipfile.BadZipFile) as exc:
            raise DatasetError(f"dataset {root}: {f.relative_to(root)} unreadable ({exc})") from None
    return out


def _pack_stats(ep_stats: dict[str, dict[str, np.ndarray]]) -> bytes:
    """Per-episode stats as one npz blob: a ~160-column row of lists made each commit 3× slower."""
    buf = io.BytesIO()
    np.savez(buf, **{f"{key}/{stat}": np.asarray(v) for key, s in ep_stats.items() for stat, v in s.items()})
    return buf.getvalue()


def unpack_stats(blob: bytes) -> dict[str, dict[str, np.ndarray]]:
    out: dict[str, dict[str, np.ndarray]] = {}
    with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
        for name in npz.files:
            key, stat = name.rsplit("/", 1)
            out.setdefault(key, {})[stat] = npz[name]
    return out


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"episode meta value of type {type(obj).__name__} is not JSON-serializable")
