"""Episode store: write and read frames/s, files per 1,000 episodes, and opening a 100,000-episode
dataset, for the packed layout against one file per episode (demoforge's layout before packing).

Synthetic episodes with the feature set a recorded demo has. Writing includes per-episode stats and
the crash-safe commit (and, packed, the rewrite into packs); reading includes video decoding. The
per-episode layout is what a writer leaves before it packs (never closed), read by today's reader.
The 100,000-episode dataset is one pack of 2,000 ten-frame episodes written by `DatasetWriter`,
then cloned 50 times with shifted indices (writing 100,000 episodes would take ~10 minutes).
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from demoforge.augment.data.dataset import DATA_PATH, EPISODES_PATH, Dataset, Episode, video_feature
from demoforge.augment.data.packing import PARQUET_OPTIONS
from demoforge.augment.data.writer import DatasetWriter

from .common import print_table

LENGTH = 100
EPISODES = {False: 1000, True: 100}  # state only; with an 84×84 camera
BIG, BIG_LENGTH, CLONES = 100_000, 10, 50


def _features(camera: bool) -> dict:
    feats = {
        "observation.state": {"dtype": "float32", "shape": [23], "names": None},
        "observation.environment_state": {"dtype": "float32", "shape": [20], "names": None},
        "action": {"dtype": "float32", "shape": [7], "names": None},
        "next.reward": {"dtype": "float32", "shape": [1], "names": None},
        "sim.state": {"dtype": "float64", "shape": [44], "names": None},
    }
    if camera:
        feats["observation.images.front"] = video_feature(84, 84, 20)
    return feats


def _episode(rng: np.random.Generator, camera: bool, length: int = LENGTH) -> Episode:
    data = {
        "observation.state": rng.normal(size=(length, 23)).astype(np.float32),
        "observation.environment_state": rng.normal(size=(length, 20)).astype(np.float32),
        "action": rng.uniform(-1, 1, (length, 7)).astype(np.float32),
        "next.reward": np.zeros(length, np.float32),
        "sim.state": rng.normal(size=(length, 44)),
    }
    videos = {}
    if camera:  # a moving gradient: realistic for the codec, unlike noise
        x = np.linspace(0, 255, 84)
        videos["observation.images.front"] = np.stack(
            [np.broadcast_to(((x[None, :, None] + 3 * t) % 256), (84, 84, 3)) for t in range(length)]
        ).astype(np.uint8)
    return Episode("bench", data, videos, {"seed": 0, "success": True, "source": "bench"})


def _files(root: Path) -> int:
    return sum(1 for p in root.rglob("*") if p.is_file())


def _open_and_info(root: Path) -> tuple[float, float]:
    from demoforge.train.cli import main

    start = time.perf_counter()
    len(Dataset(root))
    opened = time.perf_counter() - start
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        rc = main(["info", str(root)])
    if rc:
        raise RuntimeError(f"demoforge info {root} failed")
    return opened, time.perf_counter() - start


def measure(camera: bool, packed: bool, tmp: Path) -> list[str]:
    n = EPISODES[camera]
    rng = np.random.default_rng(0)
    episodes = [_episode(rng, camera) for _ in range(n)]
    root = tmp / f"ds-{camera}-{packed}"
    start = time.perf_counter()
    writer = DatasetWriter.create(root, _features(camera), fps=20)
    for ep in episodes:
        writer.add_episode(ep)
    if packed:
        writer.close()
    write = n * LENGTH / (time.perf_counter() - start)
    start = time.perf_counter()
    frames = sum(ep.length for ep in Dataset(root))
    read = frames / (time.perf_counter() - start)
    files = _files(root) - 3  # info.json, stats.json, tasks.parquet: constant
    opened, info = _open_and_info(root)
    return [f"{write:,.0f}", f"{read:,.0f}", f"{1000 * files / n:,.1f}", f"{opened:.2f}", f"{info:.2f}"]


def build_big(root: Path) -> None:
    """BIG episodes of BIG_LENGTH frames: one written pack, cloned with shifted indices."""
    rng = np.random.default_rng(1)
    per_pack = BIG // CLONES
    with DatasetWriter.create(root, _features(False), fps=20) as w:
        for _ in range(per_pack):
            w.add_episode(_episode(rng, False, BIG_LENGTH))
    data = pq.read_table(root / DATA_PATH.format(chunk_index=0, file_index=0))
    meta_file = pq.ParquetFile(root / EPISODES_PATH.format(chunk_index=0, file_index=0))
    meta, schema_meta = meta_file.read(), meta_file.schema_arrow.metadata
    frames = len(data)
    for k in range(1, CLONES):
        shifted = data
        for name, by in (("episode_index", k * per_pack), ("index", k * frames)):
            col = shifted.column_names.index(name)
            shifted = shifted.set_column(col, name, pc.add(shifted.column(name), pa.scalar(by, pa.int64())))
        rows = meta
        shifts = {"episode_index": k * per_pack, "dataset_from_index": k * frames, "dataset_to_index": k * frames}
        for name, by in shifts.items():
            col = rows.column_names.index(name)
            rows = rows.set_column(col, name, pc.add(rows.column(name), pa.scalar(by, pa.int64())))
        for name in ("data/file_index", "meta/episodes/file_index"):
            rows = rows.set_column(rows.column_names.index(name), name, pa.array([k] * len(rows), pa.int64()))
        pq.write_table(shifted, root / DATA_PATH.format(chunk_index=0, file_index=k), **PARQUET_OPTIONS)
        path = root / EPISODES_PATH.format(chunk_index=0, file_index=k)
        pq.write_table(rows.replace_schema_metadata(schema_meta), path, **PARQUET_OPTIONS)
    info = json.loads((root / "meta/info.json").read_text())
    info.update(total_episodes=BIG, total_frames=BIG * BIG_LENGTH, splits={"train": f"0:{BIG}"})
    (root / "meta/info.json").write_text(json.dumps(info, indent=2))


def measure_big(tmp: Path) -> list[list[str]]:
    from demoforge.train.data import load_frames

    root = tmp / "big"
    start = time.perf_counter()
    build_big(root)
    built = time.perf_counter() - start
    opened, info = _open_and_info(root)
    ds = Dataset(root)
    start = time.perf_counter()
    ds.episode(BIG // 2, videos=False)
    one = time.perf_counter() - start
    start = time.perf_counter()
    frames = load_frames([root])
    loader = time.perf_counter() - start
    if len(frames) != BIG * BIG_LENGTH:
        raise RuntimeError(f"training loader read {len(frames)} frames of {BIG * BIG_LENGTH}")
    files = _files(root)
    return [
        ["episodes", f"{len(ds):,}"],
        ["files (all)", f"{files} = {1000 * files / BIG:.2f} per 1,000 episodes"],
        ["open: Dataset(root), len()", f"{opened:.2f} s"],
        ["demoforge info", f"{info:.2f} s"],
        ["ds.episode(50,000), first read of its file", f"{1000 * one:.0f} ms"],
        ["training loader (train.data.load_frames)", f"{loader:.1f} s"],
        ["(building it: 2,000 written + 49 clones)", f"{built:.1f} s"],
    ]


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for camera in (False, True):
            for packed in (False, True):
                data = "state + 84×84 video" if camera else "state only"
                layout = "packed (v3)" if packed else "one file per episode"
                rows.append([f"{data}, {EPISODES[camera]:,} ep", layout, *measure(camera, packed, Path(tmp))])
        print_table(
            f"episode store, episodes of {LENGTH} frames",
            ["data", "layout", "write frames/s", "read frames/s", "files / 1,000 ep", "open s", "info s"],
            rows,
        )
        print_table(
            f"{BIG:,}-episode state-only dataset (packed, {BIG_LENGTH} frames per episode)",
            ["measure", "value"],
            measure_big(Path(tmp)),
        )


if __name__ == "__main__":
    main()
