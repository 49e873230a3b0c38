"""The episode dataset store. Its native layout *is* LeRobot v3.0, so a demoforge dataset is a
LeRobot dataset (export is a copy) and a LeRobot dataset is readable here (import is a re-map).

Layout (shared/FORMATS.md §1): meta/info.json, meta/stats.json, meta/tasks.parquet,
meta/episodes/chunk-CCC/file-FFF.parquet, data/chunk-CCC/file-FFF.parquet and
videos/<camera>/chunk-CCC/file-FFF.mp4. Episodes are packed as lerobot packs them: consecutive
episodes share one data file, one mp4 per camera and one meta/episodes file, which rolls over at
`data_files_size_in_mb` / `video_files_size_in_mb` (packing.py). Each episode commits first on
its own ("loose", the layout demoforge wrote before packing, which therefore still reads):

1. each video, then the data parquet, is written to a `.tmp` name and renamed into place;
2. the episode's meta row is written and renamed last — the commit point;
3. info.json, stats.json and tasks.parquet are derived from the committed meta rows and rewritten
   (tmp + rename) every 500 episodes, when a task is added and on close, or rebuilt on reopen —
   until then their totals may trail the committed episodes, which `Dataset` lists from the rows.

A full pack (or the last one, on close) is then rewritten into single files, again committed by
renaming its meta file (packing.py). A `kill -9` at any moment leaves complete episodes and, at
most, orphan files, which `DatasetWriter.append` deletes. Readers never see a half episode.
Nothing on this path uses pickle.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ...envs import DemoforgeError
from . import safety
from . import stats as stats_lib
from .data_file import DataFile, column_to_numpy  # noqa: F401  (column_to_numpy: io/gr00t.py)
from .episode_index import MOVES, TASK_INDEX, EpisodeIndex
from .safety import DatasetError
from .video import VideoReader, VideoShapeError

CODEBASE_VERSION = "v3.0"
CHUNKS_SIZE = 1000
DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
VIDEO_PATH = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
DATA_FIELDS = ("chunk_index", "file_index")  # what DATA_PATH and VIDEO_PATH may name
VIDEO_FIELDS = ("video_key", *DATA_FIELDS)
EPISODES_PATH = "meta/episodes/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
DEFAULT_FEATURES = {
    "timestamp": {"dtype": "float32", "shape": [1], "names": None},
    "frame_index": {"dtype": "int64", "shape": [1], "names": None},
    "episode_index": {"dtype": "int64", "shape": [1], "names": None},
    "index": {"dtype": "int64", "shape": [1], "names": None},
    "task_index": {"dtype": "int64", "shape": [1], "names": None},
}
META_COLUMN = "demoforge/meta"  # per-episode JSON: seed, profile, drawn domain, source, origin


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
        out = stats_lib.columns_stats(self.data)
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


def chunk_location(index: int) -> dict[str, int]:
    return {"chunk_index": index // CHUNKS_SIZE, "file_index": index % CHUNKS_SIZE}


def atomic_write_bytes(path: Path, write) -> None:
    """Call `write(tmp_path)`, then rename the result onto `path` (atomic on POSIX)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def write_json(path: Path, obj: Any) -> None:
    atomic_write_bytes(path, lambda tmp: tmp.write_text(json.dumps(obj, indent=2)))


def arrow_column(values: np.ndarray, dtype: str) -> pa.Array:
    """(T,) → scalar column; (T, D) → fixed_size_list<D> column (what lerobot writes)."""
    arrow_type = pa.from_numpy_dtype(np.dtype(dtype))
    if values.ndim == 1:
        return pa.array(values.astype(dtype), type=arrow_type)
    flat = pa.array(values.reshape(-1).astype(dtype), type=arrow_type)
    # the child named as parquet names it ("element"), so a table held in memory is the table read back
    return pa.FixedSizeListArray.from_arrays(flat, type=pa.list_(pa.field("element", arrow_type), values.shape[1]))


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
            self.info = safety.read_json(info_path, "dataset file")
        except DemoforgeError as exc:
            raise DatasetError(str(exc)) from None
        check_info(self.root, self.info)
        self.fps = int(self.info["fps"])
        self.features: dict[str, dict] = self.info["features"]
        self.video_keys = [k for k, f in self.features.items() if f["dtype"] == "video"]
        self.data_keys = [k for k, f in self.features.items() if f["dtype"] != "video" and k not in DEFAULT_FEATURES]
        self._cache: DataFile | None = None
        self._readers: dict[str, VideoReader] = {}  # per camera, the video file read last (kept open)
        self.episodes = EpisodeIndex(self.root, self.video_keys)
        self.tasks = self._steady(self._committed_tasks)
        # Totals derived from the committed episodes: info.json may trail them after a kill.
        self.info["total_episodes"] = len(self.episodes)
        self.info["total_frames"] = self.num_frames
        self.info["total_tasks"] = len(self.tasks)
        self.info["splits"] = {"train": f"0:{len(self.episodes)}"}

    def _steady(self, read: Callable[[], Any], row: int | None = None) -> Any:
        """`read()` as of one committed state. A writer packing meanwhile deletes the loose files
        this reader listed and may reuse their numbers; when the meta file of `row` (every listed
        file when None) changed during the read, the index is read again and so is `read`."""
        for _ in range(MOVES):
            try:
                result = read()
                if self.episodes.stands(row):
                    return result
            except DatasetError:
                if self.episodes.stands(row):
                    raise  # the file the row came from still stands: the error is the dataset's own
            self.close()
            self.episodes = EpisodeIndex(self.root, self.video_keys)
        raise DatasetError(f"dataset {self.root}: rewritten by a writer {MOVES} times during one read; try again")

    def _committed_tasks(self) -> dict[int, str]:
        """tasks.parquet's tasks and those committed after it was last written (from the rows)."""
        tasks = _read_tasks(self.root)
        if TASK_INDEX in self.episodes.columns:
            indices, first = np.unique(self.episodes.columns[TASK_INDEX], return_index=True)
            for index, row in zip(indices.tolist(), first.tolist()):
                task = self._row_task(row)
                if task is None:
                    continue
                if tasks.setdefault(index, task) != task:  # the committed rows decide
                    raise DatasetError(
                        f"dataset {self.root}: meta/tasks.parquet names task {index} {tasks[index]!r}, "
                        f"the committed rows {task!r} ({self.episodes.file_of(row).relative_to(self.root)})"
                    )
        return tasks

    def __len__(self) -> int:
        return len(self.episodes)

    def close(self) -> None:
        """Close the video decoders kept open between reads (one file handle per camera); a later
        read reopens them. `with Dataset(root) as ds:` closes on leaving the block."""
        readers, self._readers = self._readers, {}
        for reader in readers.values():
            reader.close()
        self._cache = None

    def __enter__(self) -> Dataset:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def num_frames(self) -> int:
        return int(self.episodes.columns["length"].sum())

    @property
    def stats(self) -> dict[str, dict[str, np.ndarray]]:
        """Dataset stats merged from the packs' and loose episodes' own stats (demoforge's store), so
        they never trail the data; meta/stats.json (checked against the frame count) otherwise."""
        sizes = {k: 3 if f["dtype"] == "video" else int(np.prod(f["shape"])) for k, f in self.features.items()}
        derived = self._steady(lambda: self.episodes.stats(sizes)) if len(self) else None
        if derived is not None:
            return derived
        path = self.root / "meta" / "stats.json"
        if not path.is_file():
            return {}
        try:
            out = stats_lib.from_json(safety.read_json(path, "dataset file"))
        except (DemoforgeError, AttributeError, TypeError, ValueError) as exc:
            raise DatasetError(
                f"dataset {self.root}: meta/stats.json is not feature → stat → numbers ({exc})"
            ) from None
        for key, d in out.items():
            count = d.get("count")
            if (
                key in self.data_keys
                and count is not None
                and count.size == 1
                and int(count.ravel()[0]) != self.num_frames
            ):
                raise DatasetError(
                    f"dataset {self.root}: meta/stats.json covers {int(count.ravel()[0])} frames of {key!r}, "
                    f"the committed episodes hold {self.num_frames} (stale)"
                )
        return out

    def meta(self, index: int) -> dict[str, Any]:
        return self._steady(lambda: self._meta(index), index)

    def _meta(self, index: int) -> dict[str, Any]:
        raw = self.episodes.value(index, META_COLUMN)
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except (json.JSONDecodeError, TypeError) as exc:
            raise DatasetError(self._where(index, f"{META_COLUMN} is not valid JSON ({exc})")) from None
        if not isinstance(value, dict):
            raise DatasetError(self._where(index, f"{META_COLUMN} is not a JSON object"))
        return value

    def _row_task(self, index: int) -> str | None:
        """Episode `index`'s task from its meta row's `tasks` (a list of strings; a bare string
        used to become its first character)."""
        tasks = self.episodes.value(index, "tasks")
        if tasks is None:
            return None
        if not isinstance(tasks, list) or not all(isinstance(t, str) for t in tasks):
            raise DatasetError(self._where(index, f"tasks is {tasks!r}, expected a list of task strings"))
        return tasks[0] if tasks else None

    def _where(self, index: int, what: str) -> str:
        return f"dataset {self.root}: {self.episodes.file_of(index).relative_to(self.root)} (episode {index}): {what}"

    def _path(self, template_key: str, default: str, **fields) -> Path:
        template = self.info.get(template_key) or default
        try:
            rel = template.format(**fields)
        except (KeyError, IndexError, ValueError) as exc:
            raise DatasetError(f"dataset {self.root}: meta/info.json {template_key} {template!r} ({exc})") from None
        return safety.inside(self.root, rel, f"dataset {self.root}: meta/info.json {template_key}")

    def data_file(self, row: dict) -> Path:
        """The parquet file holding the frames of episode-index row `row`."""
        return self._path(
            "data_path", DATA_PATH, chunk_index=row["data/chunk_index"], file_index=row["data/file_index"]
        )

    def video_file(self, row: dict, key: str) -> Path:
        """The mp4 holding camera `key`'s frames of episode-index row `row`."""
        return self._path(
            "video_path",
            VIDEO_PATH,
            video_key=key,
            chunk_index=row[f"videos/{key}/chunk_index"],
            file_index=row[f"videos/{key}/file_index"],
        )

    def _data(self, path: Path) -> DataFile:
        """The data file at `path`; the last one read is kept, as episodes are mostly read in order."""
        if self._cache is None or self._cache.path != path:
            self._cache = DataFile(path, f"dataset {self.root}: {path.relative_to(self.root)}")
        return self._cache

    def _video(self, key: str, path: Path) -> VideoReader:
        """Camera `key`'s reader of `path`; the last one read stays open, so episodes read in order
        continue its decoder instead of reopening the file. Its frame size is checked on opening."""
        reader = self._readers.get(key)
        if reader is None or reader.path != path:
            if reader is not None:
                reader.close()
            self._readers.pop(key, None)
            reader = self._readers[key] = VideoReader(path, self.fps, tuple(self.features[key]["shape"]))
        return reader

    def video_frames_declared(self, key: str, path: Path) -> int:
        """The frame count camera `key`'s mp4 at `path` states in its header, after checking its
        frame size against info.json's (no frame decoded): for exporters that copy mp4s as they are."""
        what = f"dataset {self.root}: {path.relative_to(self.root)}"
        try:
            reader = VideoReader(path, self.fps, tuple(self.features[key]["shape"]))
        except VideoShapeError as exc:
            raise DatasetError(f"{what} {exc}") from None
        except Exception as exc:  # PyAV raises many types for a damaged file
            raise DatasetError(f"{what} undecodable ({type(exc).__name__}: {exc})") from None
        frames = reader.stream.frames
        reader.close()
        return frames

    def episode(self, index: int, videos: bool = True) -> Episode:
        """Episode `index` with its arrays (and decoded video frames unless `videos=False`), as
        committed: read again from a fresh index when a writer packed it meanwhile (`_steady`)."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"episode {index} of {len(self)}")
        index %= len(self)
        return self._steady(lambda: self._episode(index, videos), index)

    def _episode(self, index: int, videos: bool) -> Episode:
        row = self.episodes[index]
        path = self.data_file(row)
        file = self._data(path)
        rows = file.rows(row["episode_index"], row["dataset_from_index"], row["length"])
        data = {}
        for key in self.data_keys:
            f = self.features[key]
            data[key] = file.column(key, list(f["shape"]), f["dtype"] if f["dtype"] != "string" else "O")[rows].copy()
            bad = file.nonfinite(key)
            if bad is not None and bad[rows].any():
                raise DatasetError(
                    f"{file.what} column {key!r} holds NaN or inf "
                    f"(episode {index}, frame {int(np.flatnonzero(bad[rows])[0])})"
                )
        frames = {}
        if videos:
            for key in self.video_keys:
                vpath = self.video_file(row, key)
                if not vpath.is_file():
                    raise DatasetError(f"dataset {self.root}: {vpath.relative_to(self.root)} missing")
                start = float(row[f"videos/{key}/from_timestamp"])
                shape = tuple(self.features[key]["shape"])
                safety.check_bytes(
                    int(row["length"]) * int(np.prod(shape)), f"dataset {self.root}: {vpath.relative_to(self.root)}"
                )
                try:
                    frames[key] = self._video(key, vpath).read(start, int(row["length"]))
                except Exception as exc:  # PyAV raises many types for a damaged file
                    self._readers.pop(key, None)  # a failed read leaves the decoder anywhere
                    why = exc if isinstance(exc, VideoShapeError) else f"undecodable ({type(exc).__name__}: {exc})"
                    raise DatasetError(f"dataset {self.root}: {vpath.relative_to(self.root)} {why}") from None
                if frames[key].shape[1:] != shape:
                    raise DatasetError(
                        f"dataset {self.root}: {vpath.relative_to(self.root)} frames are {frames[key].shape[1:]}, "
                        f"meta/info.json declares {shape}"
                    )
        first = rows.start if isinstance(rows, slice) else int(rows[0])
        has_task = "task_index" in file.table.column_names
        task_index = file.table.column("task_index")[first].as_py() if has_task else 0
        if isinstance(task_index, bool) or not isinstance(task_index, int):
            raise DatasetError(
                f"dataset {self.root}: {path.relative_to(self.root)} column 'task_index' holds {task_index!r}, "
                "expected an integer"
            )
        task = self.tasks.get(task_index)
        if task is None:
            task = self._row_task(index) or ""
        return Episode(task=task, data=data, videos=frames, meta=self._meta(index))  # within this read's check

    def __iter__(self) -> Iterator[Episode]:
        for i in range(len(self)):
            yield self.episode(i)

    def iter_episodes(self, videos: bool = True) -> Iterator[Episode]:
        for i in range(len(self)):
            yield self.episode(i, videos=videos)


_DTYPES = {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"}
_DTYPES |= {"bool", "string", "video", "image"}


def check_info(root: Path, info: Any, templates: bool = True) -> None:
    """info.json's fields used here, typed and bounded (the message names the field); the path
    templates too unless `templates` is False (another layout's, checked by its reader)."""
    where = f"dataset {root}: meta/info.json"
    for key in ("codebase_version", "fps", "features"):
        if key not in info:
            raise DatasetError(f"{where} has no {key!r}")
    if not str(info["codebase_version"]).startswith("v3."):
        raise DatasetError(f"dataset {root}: codebase_version {info['codebase_version']!r}, expected v3.x")
    fps = info["fps"]
    if isinstance(fps, bool) or not isinstance(fps, int | float) or fps != int(fps) or not 1 <= fps <= 10_000:
        raise DatasetError(f"{where}: fps {fps!r}, expected a whole number of frames per second in 1..10000")
    features = info["features"]
    if not isinstance(features, dict) or not features:
        raise DatasetError(f"{where}: features must be an object of feature name → description")
    for key, f in features.items():
        if not isinstance(f, dict) or not isinstance(f.get("dtype"), str) or not isinstance(f.get("shape"), list):
            raise DatasetError(f"{where}: features.{key} must be an object with dtype (string) and shape (list)")
        if f["dtype"] not in _DTYPES:
            raise DatasetError(f"{where}: features.{key}.dtype {f['dtype']!r} is not one of {sorted(_DTYPES)}")
        shape = f["shape"]
        if not shape or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in shape):
            raise DatasetError(f"{where}: features.{key}.shape {shape!r}, expected a list of positive integers")
        if int(np.prod(shape)) > safety.MAX_ELEMENTS_PER_FRAME:
            raise DatasetError(f"{where}: features.{key}.shape {shape} is too large per frame")
        if "/" in key or "\\" in key or key in (".", ".."):
            raise DatasetError(f"{where}: feature name {key!r} must not contain '/' or be '.' or '..'")
    for key, fields in (("data_path", DATA_FIELDS), ("video_path", VIDEO_FIELDS)):
        if templates and info.get(key) is not None:
            safety.check_template(info[key], f"{where} {key}", fields)
    if any(f["dtype"] == "video" for f in features.values()) and "video_path" in info and not info["video_path"]:
        raise DatasetError(f"{where}: has video features but no video_path")


def _read_tasks(root: Path) -> dict[int, str]:
    path = root / "meta" / "tasks.parquet"
    if not path.is_file():
        return {}
    what = f"dataset {root}: meta/tasks.parquet"
    try:
        table = safety.read_parquet(path, what)
        df = table.to_pandas()
        return {int(i): str(t) for t, i in zip(df.index, df["task_index"])}
    except safety.UnsafeInputError:
        raise
    except (DemoforgeError, KeyError, TypeError, ValueError, pa.ArrowException) as exc:
        raise DatasetError(f"{what} unreadable: expected a task_index column indexed by task ({exc})") from None
