"""`DatasetWriter`: appends episodes to the store crash-safely, packing them as LeRobot v3 does
(see dataset.py for the commit protocol of one episode, packing.py for the packs')."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ...envs.robots import DEFAULT_ROBOT
from . import stats as stats_lib
from .card import write_card
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
from .episode_index import STATS_COLUMN, TASK_INDEX, episode_stats
from .packing import DATA_BYTES, MB, PARQUET_OPTIONS, VIDEO_BYTES, Pack, chunk_number, file_number, write_pack
from .video import encode_video

STATS_EVERY = 500  # episodes between metadata refreshes while writing (always on close; rebuilt on reopen)


class DatasetWriter:
    """Append-only writer. Use `DatasetWriter.create(...)` for a new dataset or
    `DatasetWriter.append(root)` to continue one (after a crash too), as a context manager:

        with DatasetWriter.create("out", features, fps=20) as w:
            w.add_episode(episode)

    Memory holds one episode's frames at a time, plus the rows and per-episode stats of the pack
    being filled and the merged stats of each finished pack.
    """

    def __init__(
        self,
        root: Path,
        info: dict[str, Any],
        tasks: dict[str, int],
        done_stats: list[dict],
        pack: Pack,
        next_file: int,
    ):
        self.root = root
        self.info = info
        self.fps = int(info["fps"])
        self.features = info["features"]
        self.video_keys = [k for k, f in self.features.items() if f["dtype"] == "video"]
        self.data_keys = [k for k, f in self.features.items() if f["dtype"] != "video" and k not in DEFAULT_FEATURES]
        self.tasks = tasks
        self.done_stats = done_stats  # merged stats of each finished pack
        self.pack = pack
        self.next_file = next_file  # global file number of the next loose episode
        self.limits = (_limit(info, "data_files_size_in_mb", 100), _limit(info, "video_files_size_in_mb", 200))
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
        robot_type: str = DEFAULT_ROBOT,
        sidecars: dict[str, Any] | None = None,
        robot: dict[str, Any] | None = None,
    ) -> DatasetWriter:
        """Start a new dataset at `root`, which must not exist or be an empty folder (or one a
        killed `create` left: `is_blank`). `sidecars` (relative path → JSON) are written before
        meta/info.json, so a dataset that has info.json always has them. `robot`: the layout of
        the robot that made the data (`RobotDescription.layout()`), recorded as info.json `robot`
        (lerobot's `robot_type` holds only a name); None for data of unknown origin (imports)."""
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
            **({"robot": robot} if robot is not None else {}),
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
        writer = cls(root, info, {}, [], Pack(), 0)
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
        ds = Dataset(root)  # validates info.json, the episodes index and the path templates
        _remove_orphans(root, ds)
        info["total_episodes"], info["total_frames"] = len(ds), ds.num_frames
        tasks = {task: index for index, task in sorted(ds.tasks.items())}
        writer = cls(root, info, tasks, [], Pack(), 0)
        writer._resume(ds)
        writer._write_meta(with_stats=True)
        return writer

    def _resume(self, ds: Dataset) -> None:
        """Rebuild the pack being filled: the last pack (if any) and the loose episodes after it,
        replayed through the same fit rule as `add_episode`, so packs end where an uninterrupted
        writer's would. Reads the footers of finished packs and the rows of the open one only."""
        index = ds.episodes
        packs = [p for p, stats in enumerate(index.pack_stats) if stats is not None]
        last = packs[-1] if packs else -1
        self.done_stats = [index.pack_stats[p] for p in packs[:-1]]
        if last >= 0:
            rows = _full_rows(self.root, index.files[last])
            self.pack = Pack(index=file_number(rows[0]))
            for column in (DATA_BYTES, VIDEO_BYTES):  # what the open pack's fit rule sums
                if any(not isinstance(row.get(column), int) for row in rows):
                    where = index.files[last].relative_to(self.root)
                    raise DatasetError(f"dataset {self.root}: {where}: rows lack {column} (cannot extend this pack)")
            for row in rows:
                self.pack.add(row, episode_stats(self.root, index.files[last], row.get(STATS_COLUMN)), loose=False)
            self.next_file = self.pack.index + 1
        for position in range(last + 1, len(index.files)):
            for row in _full_rows(self.root, index.files[position]):
                row.setdefault(DATA_BYTES, _size(self.root / DATA_PATH.format(**_loc(row, "data"))))
                row.setdefault(VIDEO_BYTES, max([_size(self._video(row, k)) for k in self.video_keys], default=0))
                if not self.pack.fits(row[DATA_BYTES], row[VIDEO_BYTES], self.limits):
                    self._finish_pack()
                self.pack.add(row, episode_stats(self.root, index.files[position], row.get(STATS_COLUMN)))
                self.next_file = file_number(row) + 1

    def _video(self, row: dict, key: str) -> Path:
        loc = {"chunk_index": row[f"videos/{key}/chunk_index"], "file_index": row[f"videos/{key}/file_index"]}
        return self.root / VIDEO_PATH.format(video_key=key, **loc)

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.pack.loose:  # a partial pack; the next `append` extends it
            rows = write_pack(self.root, self.pack, self.video_keys, self.fps)
            self.pack = _packed(self.pack, rows)
            self.next_file = self.pack.index + 1
        self._write_meta(with_stats=True)
        if self.num_episodes:  # the Hub's page for it; an empty store stays blank (`is_blank`)
            write_card(Dataset(self.root))

    def _finish_pack(self) -> None:
        """Write the pack being filled (it is full) and start the next one."""
        if self.pack.loose:
            write_pack(self.root, self.pack, self.video_keys, self.fps)
        self.done_stats.append(stats_lib.merge(self.pack.stats))
        self.next_file = self.pack.target + 1
        self.pack = Pack()

    # writing ------------------------------------------------------------------------------------

    def add_episode(self, episode: Episode) -> int:
        """Validate, then write and commit `episode`; returns its index."""
        self._validate(episode)
        index, length = self.num_episodes, episode.length
        loc = chunk_location(index)
        task_index = self.tasks.setdefault(episode.task, len(self.tasks))
        start = self.num_frames

        ep_stats = dict(episode.stats) if episode.stats is not None else episode.feature_stats()
        # Written under names of their own first: which file index they get depends on whether
        # their size still fits the pack being filled.
        pending = {}
        for key in self.video_keys:
            pending[key] = self.root / "videos" / key / ".pending.mp4.tmp"
            pending[key].parent.mkdir(parents=True, exist_ok=True)
            encode_video(pending[key], episode.videos[key], self.fps)

        defaults = bookkeeping_columns(length, self.fps, index, start, task_index)
        booked = stats_lib.columns_stats({k: v for k, v in defaults.items() if k in self.features})
        columns = {}
        for key, f in self.features.items():
            if f["dtype"] == "video":
                continue
            values = defaults[key] if key in defaults else episode.data[key]
            columns[key] = arrow_column(np.asarray(values), f["dtype"])
            if key in defaults:
                ep_stats[key] = booked[key]
        pending[None] = self.root / "data" / ".pending.parquet.tmp"
        pending[None].parent.mkdir(parents=True, exist_ok=True)
        table = pa.table(columns)
        pq.write_table(table, pending[None], **PARQUET_OPTIONS)
        data_bytes = pending[None].stat().st_size
        video_bytes = max([pending[k].stat().st_size for k in self.video_keys], default=0)
        if not self.pack.fits(data_bytes, video_bytes, self.limits):
            self._finish_pack()

        loc = chunk_location(self.next_file)
        for key in self.video_keys:
            _rename(pending[key], self.root / VIDEO_PATH.format(video_key=key, **loc))
        _rename(pending[None], self.root / DATA_PATH.format(**loc))
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
        row[STATS_COLUMN] = stats_lib.to_blob(ep_stats)
        row["meta/episodes/chunk_index"] = loc["chunk_index"]
        row["meta/episodes/file_index"] = loc["file_index"]
        row[TASK_INDEX] = task_index
        row[META_COLUMN] = json.dumps(episode.meta, default=_json_default)
        row[DATA_BYTES], row[VIDEO_BYTES] = data_bytes, video_bytes
        meta_table = pa.Table.from_pylist([row])
        atomic_write_bytes(
            self.root / EPISODES_PATH.format(**loc), lambda tmp: pq.write_table(meta_table, tmp, **PARQUET_OPTIONS)
        )

        # committed
        self.num_episodes += 1
        self.num_frames += length
        self.pack.add(row, ep_stats, table=table)
        self.next_file += 1
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
        if with_stats and (self.done_stats or self.pack.stats):
            # one entry per pack: incremental, and the same numbers `Dataset.stats` merges
            parts = self.done_stats + ([stats_lib.merge(self.pack.stats)] if self.pack.stats else [])
            merged = stats_lib.merge(parts)
            write_json(self.root / "meta" / "stats.json", {k: stats_lib.to_json(v) for k, v in merged.items()})


CREATE_FILES = {"meta/info.json", "meta/tasks.parquet", "meta/stats.json"}  # what `create` writes
# The temporary files this store writes (`atomic_write_bytes`'s `NAME.tmp` beside a store file, and
# `add_episode`'s pending ones), as paths relative to the dataset. Any other `.tmp` is the user's:
# a `notes/draft.tmp` under --out must survive a clean-up.
_OWN_TMP = re.compile(
    r"meta/(info|stats|collect|generation|generation_stats)\.json\.tmp|meta/tasks\.parquet\.tmp"
    r"|(meta/episodes|data|videos/[^/]+)/chunk-\d+/file-\d+\.(parquet|mp4)\.tmp"
    r"|data/\.pending\.parquet\.tmp|videos/[^/]+/\.pending\.mp4\.tmp"
)


def is_own_tmp(root: Path, path: Path) -> bool:
    """Whether `path` is a temporary file this store writes (so a kill may have left it)."""
    return _OWN_TMP.fullmatch(path.relative_to(root).as_posix()) is not None and not path.is_symlink()


def is_blank(root: Path, allowed: set[str] = frozenset()) -> bool:
    """True when `root` holds only what `DatasetWriter.create` writes before any episode commits
    (plus `allowed` relative paths and its own `.tmp` files): what a kill right after creation leaves."""
    if not root.is_dir():
        return False
    for p in root.rglob("*"):
        if p.is_symlink() or (
            p.is_file() and not (is_own_tmp(root, p) or p.relative_to(root).as_posix() in CREATE_FILES | set(allowed))
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


def _remove_orphans(root: Path, ds: Dataset) -> None:
    """Delete the store's own `.tmp` files, meta/episodes files an interrupted pack left (not in the index), and
    data and video files no committed row points at (a dead episode's, or a pack's leftovers)."""
    for tmp in root.rglob("*.tmp"):
        if is_own_tmp(root, tmp):
            tmp.unlink()
    live = set(ds.episodes.files)
    for f in (root / "meta" / "episodes").glob("*/*.parquet"):
        if f not in live:
            f.unlink()
    cols = ds.episodes.columns
    used = {("data",): set(chunk_number(c, f) for c, f in zip(cols["data/chunk_index"], cols["data/file_index"]))}
    for key in ds.video_keys:
        pairs = zip(cols[f"videos/{key}/chunk_index"], cols[f"videos/{key}/file_index"])
        used[("videos", key)] = {chunk_number(c, f) for c, f in pairs}
    for parts, numbers in used.items():
        for f in root.joinpath(*parts).glob("chunk-*/file-*.*"):
            try:
                number = chunk_number(int(f.parent.name.split("-")[1]), int(f.stem.split("-")[1]))
            except ValueError:
                continue  # not a name this writer gives
            if number not in numbers:
                f.unlink()


def _full_rows(root: Path, f: Path) -> list[dict[str, Any]]:
    try:
        return pq.read_table(f).to_pylist()
    except (pa.ArrowException, OSError) as exc:
        raise DatasetError(f"dataset {root}: {f.relative_to(root)} unreadable ({exc})") from None


def _packed(pack: Pack, rows: list[dict]) -> Pack:
    """`pack` after `write_pack`: the same episodes, all in its files now."""
    out = Pack(index=pack.target, tables=pack.tables)
    for row, ep_stats in zip(rows, pack.stats):
        out.add(row, ep_stats, loose=False)
    return out


def _loc(row: dict, kind: str) -> dict[str, int]:
    return {"chunk_index": row[f"{kind}/chunk_index"], "file_index": row[f"{kind}/file_index"]}


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


def _rename(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, dst)


def _limit(info: dict, key: str, default: int) -> int:
    """info.json's file size limit `key` in bytes (lerobot's default if absent or not a number)."""
    value = info.get(key, default)
    ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1 << 20
    return int((value if ok else default) * MB)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"episode meta value of type {type(obj).__name__} is not JSON-serializable")
