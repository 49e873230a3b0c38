"""GR00T's flavour of LeRobot: the v2.1 layout plus meta/modality.json (shared/FORMATS.md §2).

Isaac-GR00T's fine-tuning loaders read one parquet and one mp4 per episode, `meta/episodes.jsonl`
and `meta/tasks.jsonl`, and slice `observation.state` / `action` through `modality.json`; they
cannot read v3.0. This module writes that layout directly — episode videos are copied when the
source already holds the episode alone in its own file starting at t = 0 (demoforge's store
does), and re-encoded from decoded frames otherwise (lerobot's packed files), never cut on
keyframes — and reads it back for `demoforge import`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ...envs import DemoforgeError
from ...envs.observation import STATE
from ..data import safety
from ..data.card import write_card
from ..data.dataset import (
    DEFAULT_FEATURES,
    Dataset,
    DatasetError,
    arrow_column,
    bookkeeping_columns,
    check_info,
    column_to_numpy,
)
from ..data.video import decode_video, encode_video
from .lerobot import modality_json
from .source import SourceEpisode

CODEBASE_VERSION = "v2.1"
CHUNKS_SIZE = 1000  # episodes per chunk in v2.x
DATA_PATH = "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet"
VIDEO_PATH = "videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4"
DATA_FIELDS = ("episode_chunk", "episode_index")  # what DATA_PATH and VIDEO_PATH may name
ANNOTATION = "annotation.human.action.task_description"  # int64 index into tasks.jsonl, per frame
GROOT_STATS = ("mean", "std", "min", "max", "q01", "q99")


def _jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text(
        "".join(json.dumps(r) + "\n" for r in rows)
    )  # no blank lines: Isaac-GR00T fails on them (NVIDIA/Isaac-GR00T#288)


def _standalone_video(ds: Dataset, index: int, key: str) -> Path | None:
    """The source mp4 when it holds exactly this episode from t = 0 (then a copy is exact)."""
    row = ds.episodes[index]
    path = ds.video_file(row, key)
    if not path.is_file():
        raise DatasetError(f"dataset {ds.root}: episode {index} has no video for camera {key!r} ({path.name} missing)")
    if float(row[f"videos/{key}/from_timestamp"]) != 0.0:
        return None
    frames = ds.video_frames_declared(key, path)  # copied as it is: its frame size is checked first
    return path if frames == row["length"] else None


def save_gr00t(ds: Dataset, out: Path) -> None:
    """Write `ds` to the folder `out` in GR00T's LeRobot v2.1 layout."""
    features = {k: f for k, f in ds.features.items()}
    features[ANNOTATION] = {"dtype": "int64", "shape": [1], "names": None}
    tasks = {t: i for i, t in sorted(ds.tasks.items())}
    episodes_rows, stats_rows = [], []
    total_frames = 0
    (out / "meta").mkdir(parents=True)
    for i in range(len(ds)):
        row = ds.episodes[i]
        length = int(row["length"])
        if length <= 0:
            raise DatasetError(f"dataset {ds.root}: episode {i} has no frames")
        chunk = i // CHUNKS_SIZE
        ep = ds.episode(i, videos=False)
        for key in ds.video_keys:
            dest = out / VIDEO_PATH.format(episode_chunk=chunk, video_key=key, episode_index=i)
            dest.parent.mkdir(parents=True, exist_ok=True)
            src = _standalone_video(ds, i, key)
            if src is not None:
                shutil.copyfile(src, dest)
            else:
                encode_video(dest, ds.episode(i).videos[key], ds.fps)
        task_index = tasks.setdefault(ep.task, len(tasks))
        defaults = bookkeeping_columns(length, ds.fps, i, total_frames, task_index)
        defaults[ANNOTATION] = defaults["task_index"]
        columns = {}
        for key, f in features.items():
            if f["dtype"] == "video":
                continue
            columns[key] = arrow_column(np.asarray(defaults[key] if key in defaults else ep.data[key]), f["dtype"])
        path = out / DATA_PATH.format(episode_chunk=chunk, episode_index=i)
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table(columns), path)
        # GR00T reads episode_index, tasks and length; the extra key keeps demoforge's metadata.
        episodes_rows.append({"episode_index": i, "tasks": [ep.task], "length": length, "demoforge_meta": ep.meta})
        stats_rows.append({"episode_index": i, "stats": _episode_stats(ep.data)})
        total_frames += length

    info = {
        "codebase_version": CODEBASE_VERSION,
        "robot_type": ds.info.get("robot_type"),
        **({"robot": ds.info["robot"]} if "robot" in ds.info else {}),  # its joint layout, as recorded
        "total_episodes": len(ds),
        "total_frames": total_frames,
        "total_tasks": len(tasks),
        "total_videos": len(ds) * len(ds.video_keys),
        "total_chunks": (len(ds) - 1) // CHUNKS_SIZE + 1 if len(ds) else 0,
        "chunks_size": CHUNKS_SIZE,
        "fps": ds.fps,
        "splits": {"train": f"0:{len(ds)}"},
        "data_path": DATA_PATH,
        "video_path": VIDEO_PATH if ds.video_keys else None,
        "features": features,
    }
    (out / "meta" / "info.json").write_text(json.dumps(info, indent=2))
    _jsonl(out / "meta" / "episodes.jsonl", episodes_rows)
    _jsonl(
        out / "meta" / "tasks.jsonl",
        [{"task_index": i, "task": t} for t, i in sorted(tasks.items(), key=lambda x: x[1])],
    )
    _jsonl(out / "meta" / "episodes_stats.jsonl", stats_rows)
    stats = ds.stats
    missing = [k for k in (STATE.key, "action") if k in ds.features and not set(GROOT_STATS) <= set(stats.get(k, {}))]
    if missing:
        raise DatasetError(f"dataset {ds.root}: meta/stats.json lacks {GROOT_STATS} for {missing}")
    (out / "meta" / "stats.json").write_text(json.dumps(groot_stats(stats)))
    modality = modality_json(ds)
    modality["annotation"] = {ANNOTATION.removeprefix("annotation."): {}}
    (out / "meta" / "modality.json").write_text(json.dumps(modality, indent=2))
    write_card(ds, out, layout="LeRobot v2.1 (GR00T's, with meta/modality.json)")


def groot_stats(stats: dict[str, dict[str, Any]]) -> dict[str, dict[str, list]]:
    """Only GR00T's six per-dimension stats for each feature. N1.5 slices *every* stat of a
    column by the modality's [start:end] range, so lerobot's `count` ([N]) or any other extra
    stat makes it fail (`IndexError`); features lacking one of the six are left out."""
    return {
        key: {s: np.asarray(d[s]).tolist() for s in GROOT_STATS}
        for key, d in stats.items()
        if set(GROOT_STATS) <= set(d)
    }


def _episode_stats(data: dict[str, np.ndarray]) -> dict[str, dict[str, Any]]:
    out = {}
    for key, values in data.items():
        v = np.asarray(values, np.float64).reshape(len(values), -1)
        out[key] = {
            "min": v.min(0).tolist(),
            "max": v.max(0).tolist(),
            "mean": v.mean(0).tolist(),
            "std": v.std(0).tolist(),
            "count": [len(v)],
        }
    return out


def load_gr00t(path: Path) -> Iterator[SourceEpisode]:
    """Episodes of a LeRobot v2.x dataset (GR00T's layout), as feature name → array."""
    info_path = path / "meta" / "info.json"
    try:
        info = safety.read_json(info_path, "dataset file")
    except DemoforgeError as exc:
        raise DatasetError(str(exc)) from None
    if not str(info.get("codebase_version", "")).startswith("v2."):
        raise DatasetError(f"dataset {path}: codebase_version {info.get('codebase_version')!r}, expected v2.x")
    check_info(path, {**info, "codebase_version": "v3.0"}, templates=False)  # the same fields, typed and bounded
    where = f"dataset {path}: meta/info.json"
    safety.check_template(info.get("data_path"), f"{where} data_path", DATA_FIELDS)
    if info.get("video_path") is not None or any(f["dtype"] == "video" for f in info["features"].values()):
        safety.check_template(info.get("video_path"), f"{where} video_path", ("video_key", *DATA_FIELDS))
    episodes_path = path / "meta" / "episodes.jsonl"
    if not episodes_path.is_file():
        raise DatasetError(f"dataset {path}: meta/episodes.jsonl missing")
    try:
        episodes = [
            json.loads(line) for line in safety.read_text(episodes_path, "dataset file").splitlines() if line.strip()
        ]
    except ValueError as exc:
        raise DatasetError(f"dataset {path}: meta/episodes.jsonl is not JSON lines ({exc})") from None
    features = info["features"]
    fps = int(info["fps"])
    chunks_size = info.get("chunks_size", CHUNKS_SIZE)
    if isinstance(chunks_size, bool) or not isinstance(chunks_size, int) or chunks_size < 1:
        raise DatasetError(f"{where}: chunks_size {chunks_size!r}, expected a positive integer")
    seen: set[int] = set()
    for n, row in enumerate(episodes):
        line = f"dataset {path}: meta/episodes.jsonl line {n + 1}"
        ok = isinstance(row, dict) and all(
            isinstance(row.get(k), int) and not isinstance(row.get(k), bool) for k in ("episode_index", "length")
        )
        if not ok or not 0 <= row["episode_index"] or not 1 <= row["length"] <= safety.MAX_EPISODE_FRAMES:
            raise DatasetError(f"{line}: expected episode_index and length")
        i, length = row["episode_index"], row["length"]
        if i in seen:  # imported twice otherwise
            raise DatasetError(f"{line}: episode_index {i} is listed twice")
        seen.add(i)
        tasks = row.get("tasks", [])
        if not isinstance(tasks, list) or not all(isinstance(t, str) for t in tasks):
            raise DatasetError(f"{line}: tasks is {tasks!r}, expected a list of task strings")
        meta = row.get("demoforge_meta", {})
        if not isinstance(meta, dict):
            raise DatasetError(f"{line}: demoforge_meta is {meta!r}, expected an object")
        chunk = i // chunks_size
        data_path = safety.inside(
            path, info["data_path"].format(episode_chunk=chunk, episode_index=i), f"{where} data_path"
        )
        table = safety.read_parquet(data_path, f"dataset {path}: {data_path.relative_to(path)}")
        fields: dict[str, np.ndarray] = {}
        for key, f in features.items():
            if f["dtype"] == "video" or key in DEFAULT_FEATURES or key.startswith("annotation."):
                continue
            if key not in table.column_names:
                raise DatasetError(f"dataset {path}: {data_path.relative_to(path)} has no column {key!r}")
            try:
                fields[key] = column_to_numpy(table.column(key), list(f["shape"]), f["dtype"])
            except (ValueError, TypeError, pa.ArrowException) as exc:
                raise DatasetError(f"dataset {path}: {data_path.relative_to(path)} column {key!r} ({exc})") from None
        for key, f in features.items():
            if f["dtype"] == "video":
                vpath = safety.inside(
                    path,
                    info["video_path"].format(episode_chunk=chunk, video_key=key, episode_index=i),
                    f"{where} video_path",
                )
                if not vpath.is_file():
                    raise DatasetError(f"dataset {path}: {vpath.relative_to(path)} missing")
                safety.check_bytes(length * int(np.prod(f["shape"])), f"dataset {path}: {vpath.relative_to(path)}")
                try:
                    fields[key] = decode_video(vpath, count=length, fps=fps, shape=tuple(f["shape"]))
                except Exception as exc:  # PyAV raises many types for a damaged file
                    raise DatasetError(f"dataset {path}: {vpath.relative_to(path)} undecodable ({exc})") from None
        yield SourceEpisode(name=f"{path.name}:episode {i}", task=(tasks or [""])[0], fields=fields, meta=meta)
