"""The episode store: round trips, lerobot's own files, stats, crash safety, clear errors."""

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from demoforge.augment.data.dataset import Dataset, DatasetError, Episode, video_feature
from demoforge.augment.data.stats import vector_stats
from demoforge.augment.data.writer import DatasetWriter

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FEATURES = {
    "observation.state": {"dtype": "float32", "shape": [4], "names": None},
    "action": {"dtype": "float32", "shape": [2], "names": ["a", "b"]},
    "next.reward": {"dtype": "float32", "shape": [1], "names": None},
    "next.success": {"dtype": "bool", "shape": [1], "names": None},
    "observation.images.front": video_feature(32, 48, fps=20),
}


def make_episode(rng, length, task="lift the red cube", meta=None):
    frames = np.zeros((length, 32, 48, 3), np.uint8)
    frames[..., 0] = np.linspace(0, 250, length)[:, None, None]  # a ramp the codec keeps
    return Episode(
        task=task,
        data={
            "observation.state": rng.normal(size=(length, 4)).astype(np.float32),
            "action": rng.uniform(-1, 1, (length, 2)).astype(np.float32),
            "next.reward": rng.random(length).astype(np.float32),
            "next.success": rng.random(length) > 0.5,
        },
        videos={"observation.images.front": frames},
        meta=meta or {"seed": int(rng.integers(100))},
    )


def test_round_trip_arrays_videos_tasks_meta(tmp_path):
    rng = np.random.default_rng(0)
    episodes = [make_episode(rng, n, task=t) for n, t in ((12, "a"), (7, "b"), (9, "a"))]
    with DatasetWriter.create(tmp_path / "ds", FEATURES, fps=20) as w:
        for ep in episodes:
            w.add_episode(ep)
    ds = Dataset(tmp_path / "ds")
    assert len(ds) == 3 and ds.num_frames == 28 and ds.tasks == {0: "a", 1: "b"}
    for ep, back in zip(episodes, ds):
        assert back.task == ep.task and back.meta == ep.meta
        for k, v in ep.data.items():
            assert back.data[k].dtype == v.dtype and np.array_equal(back.data[k], v), k
        decoded = back.videos["observation.images.front"]
        assert decoded.shape == ep.videos["observation.images.front"].shape
        assert np.abs(decoded.astype(int) - ep.videos["observation.images.front"]).mean() < 3  # lossy h264
    info = json.loads((tmp_path / "ds/meta/info.json").read_text())
    assert info["total_episodes"] == 3 and info["total_frames"] == 28 and info["splits"] == {"train": "0:3"}


def test_global_index_and_timestamps_follow_lerobot(tmp_path):
    import pyarrow.parquet as pq

    rng = np.random.default_rng(1)
    with DatasetWriter.create(tmp_path / "ds", FEATURES, fps=20) as w:
        w.add_episode(make_episode(rng, 5))
        w.add_episode(make_episode(rng, 4))
    t = pq.read_table(tmp_path / "ds/data/chunk-000/file-000.parquet").to_pydict()  # both episodes, packed
    assert t["index"] == list(range(9)) and t["frame_index"] == [0, 1, 2, 3, 4, 0, 1, 2, 3]
    assert t["episode_index"] == [0] * 5 + [1] * 4
    assert np.allclose(t["timestamp"], [0, 0.05, 0.1, 0.15, 0.2, 0, 0.05, 0.1, 0.15])
    rows = pq.read_table(tmp_path / "ds/meta/episodes/chunk-000/file-000.parquet").to_pylist()
    assert [(r["dataset_from_index"], r["dataset_to_index"]) for r in rows] == [(0, 5), (5, 9)]
    assert [r["videos/observation.images.front/from_timestamp"] for r in rows] == [0.0, 0.25]
    assert set(t) == {*FEATURES, "timestamp", "frame_index", "episode_index", "index", "task_index"} - {
        "observation.images.front"
    }  # exactly the non-video features: lerobot rejects extra columns


@pytest.mark.parametrize("pack", [2000, 2])  # one pack; two packs merged (stats kept per pack)
def test_stats_match_direct_computation(tmp_path, monkeypatch, pack):
    from demoforge.augment.data import packing

    monkeypatch.setattr(packing, "MAX_PACK_EPISODES", pack)
    rng = np.random.default_rng(2)
    eps = [make_episode(rng, n) for n in (10, 30, 5)]
    with DatasetWriter.create(tmp_path / "ds", FEATURES, fps=20) as w:
        for ep in eps:
            w.add_episode(ep)
    assert len(list((tmp_path / "ds/data").rglob("*.parquet"))) == (1 if pack > 3 else 2)
    stats = Dataset(tmp_path / "ds").stats
    written = json.loads((tmp_path / "ds/meta/stats.json").read_text())
    assert np.array_equal(written["observation.state"]["mean"], stats["observation.state"]["mean"])
    direct = vector_stats(np.concatenate([e.data["observation.state"] for e in eps]))
    for key in ("min", "max", "mean", "std"):
        assert np.allclose(stats["observation.state"][key], direct[key]), key
    assert stats["observation.state"]["count"][0] == 45
    assert stats["observation.images.front"]["mean"].shape == (3, 1, 1)
    assert {"q01", "q99"} <= set(stats["action"])


def test_reads_the_dataset_lerobot_itself_wrote():
    ds = Dataset(FIXTURES / "lerobot-v3")
    assert len(ds) == 2 and ds.tasks == {0: "lift the red cube", 1: "stack the cubes"}
    second = ds.episode(1)  # packed after episode 0 in the same parquet and mp4 (AV1)
    assert second.data["observation.state"].shape == (17, 10)
    assert second.videos["observation.images.front"].shape == (17, 64, 64, 3)
    assert second.task == "stack the cubes"


def test_refuses_to_overwrite_and_checks_episodes(tmp_path):
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "keep.txt").write_text("mine")
    with pytest.raises(DatasetError, match="already exists and is not empty"):
        DatasetWriter.create(tmp_path / "ds", FEATURES, fps=20)
    assert (tmp_path / "ds" / "keep.txt").read_text() == "mine"
    w = DatasetWriter.create(tmp_path / "new", FEATURES, fps=20)
    ep = make_episode(np.random.default_rng(0), 4)
    bad = Episode(ep.task, {**ep.data, "extra": np.zeros(4)}, ep.videos)
    with pytest.raises(DatasetError, match=r"unexpected \['extra'\]"):
        w.add_episode(bad)
    bad = Episode(ep.task, {**ep.data, "action": np.zeros((4, 3), np.float32)}, ep.videos)
    with pytest.raises(DatasetError, match="'action' has per-frame shape \\(3,\\)"):
        w.add_episode(bad)
    bad = Episode(ep.task, ep.data, {})
    with pytest.raises(DatasetError, match="no frames for camera"):
        w.add_episode(bad)
    assert Dataset(tmp_path / "new").num_frames == 0  # nothing half-written


def test_missing_and_corrupt_files_are_named(tmp_path):
    with pytest.raises(DatasetError, match="meta/info.json missing"):
        Dataset(tmp_path)
    with DatasetWriter.create(tmp_path / "ds", FEATURES, fps=20) as w:
        w.add_episode(make_episode(np.random.default_rng(0), 6))
    data = tmp_path / "ds/data/chunk-000/file-000.parquet"
    data.write_bytes(data.read_bytes()[:100])  # truncated
    with pytest.raises(DatasetError, match="data/chunk-000/file-000.parquet unreadable"):
        Dataset(tmp_path / "ds").episode(0)


CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import importlib.util
    spec = importlib.util.spec_from_file_location("store_test", {this!r})
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    from demoforge.augment.data import packing
    from demoforge.augment.data.writer import DatasetWriter

    packing.MAX_PACK_EPISODES = 2
    root, (op, target, nth, when) = Path({root!r}), {kill!r}
    seen = {{"n": 0}}

    def dying(name, real):
        def call(*args, **kwargs):
            path = Path(args[-1] if name == "replace" else args[0])
            hit = path.is_relative_to(root) and path.relative_to(root).as_posix() == target
            seen["n"] += hit
            if hit and seen["n"] == nth and when == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            out = real(*args, **kwargs)
            if hit and seen["n"] == nth:
                os.kill(os.getpid(), signal.SIGKILL)
            return out
        return call

    if op == "replace":
        os.replace = dying("replace", os.replace)
    else:
        Path.unlink = dying("unlink", Path.unlink)
    with DatasetWriter.create(root, mod.FEATURES, fps=20) as w:
        for ep in mod.episodes():
            w.add_episode(ep)
            print(w.num_episodes, flush=True)
    """
)


def episodes():
    rng = np.random.default_rng(0)
    return [make_episode(rng, 5 + i, task="ab"[i % 2]) for i in range(6)]


# With packs of 2 episodes: episodes 0 and 1 commit loose (files 0, 1); before episode 2 they are
# packed into file 0 (data, video, meta = the commit, then file 1's loose files deleted); 2 and 3
# go loose to files 1, 2 and are packed into file 1; on close 4 and 5 are packed into file 2.
DATA0, VIDEO0, META0 = (
    "data/chunk-000/file-000.parquet",
    "videos/observation.images.front/chunk-000/file-000.mp4",
    ("meta/episodes/chunk-000/file-000.parquet"),
)
KILLS = {
    "loose data placed, row not": ("replace", DATA0, 1, "after"),
    "before a loose commit": ("replace", "meta/episodes/chunk-000/file-001.parquet", 1, "before"),
    "pack data written": ("replace", DATA0, 2, "after"),
    "pack video written": ("replace", VIDEO0, 2, "after"),
    "before the pack's commit": ("replace", META0, 2, "before"),
    "pack committed, loose rows left": ("replace", META0, 2, "after"),
    "deleting packed loose files": ("unlink", "data/chunk-000/file-001.parquet", 1, "before"),
    "second pack written": ("replace", "data/chunk-000/file-001.parquet", 3, "after"),
    "closing pack committed": ("replace", "meta/episodes/chunk-000/file-002.parquet", 3, "after"),
}


def _write_all(root, eps, monkeypatch):
    from demoforge.augment.data import packing

    monkeypatch.setattr(packing, "MAX_PACK_EPISODES", 2)
    with DatasetWriter.create(root, FEATURES, fps=20) as w:
        for ep in eps:
            w.add_episode(ep)


@pytest.mark.parametrize("kill", list(KILLS))
def test_kill_anywhere_in_the_packed_write_path_loses_and_duplicates_nothing(tmp_path, kill, monkeypatch):
    from demoforge.augment.data import packing

    root = tmp_path / "ds"
    script = CHILD.format(this=str(Path(__file__).resolve()), kill=KILLS[kill], root=str(root))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    returned = int(proc.stdout.split()[-1]) if proc.stdout.split() else 0
    ds = Dataset(root)
    assert returned <= len(ds) <= returned + 1  # add_episode's commit is its meta row, just before it returns
    eps = episodes()
    for ep, back in zip(eps, ds.iter_episodes(videos=False)):  # whole episodes only, each once, in order
        assert back.task == ep.task and all(np.array_equal(back.data[k], v) for k, v in ep.data.items())
    assert ds.num_frames == sum(ep.length for ep in eps[: len(ds)])

    monkeypatch.setattr(packing, "MAX_PACK_EPISODES", 2)
    with DatasetWriter.append(root) as w:
        assert w.num_episodes == len(ds)
        for ep in eps[len(ds) :]:
            w.add_episode(ep)
    _write_all(tmp_path / "straight", eps, monkeypatch)
    files = sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())
    assert files == sorted(
        p.relative_to(tmp_path / "straight") for p in (tmp_path / "straight").rglob("*") if p.is_file()
    )
    for rel in files:  # the resumed dataset is the uninterrupted one, byte for byte
        assert (root / rel).read_bytes() == (tmp_path / "straight" / rel).read_bytes(), rel
    assert len(files) == 3 * 3 + 4  # 3 packs × (data, mp4, meta rows) + info, stats, tasks, README.md (the card)


def test_lerobot_loader_rules_read_a_packed_dataset(tmp_path):
    """What lerobot's LeRobotDataset does (shared/FORMATS.md §1.3-1.8), by hand (lerobot is an
    optional install): concatenate the sorted data files, find episode i at meta row i through the
    info.json path templates and its from/to indices, and fetch each video frame at
    from_timestamp + timestamp within 1e-4 s."""
    import av
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    eps = episodes()
    with DatasetWriter.create(tmp_path / "ds", FEATURES, fps=20) as w:
        for ep in eps:
            w.add_episode(ep)
    root = tmp_path / "ds"
    info = json.loads((root / "meta/info.json").read_text())
    data = pa.concat_tables([pq.read_table(f) for f in sorted(root.glob("data/*/*.parquet"))])
    assert set(data.column_names) == {k for k, f in info["features"].items() if f["dtype"] != "video"}
    assert data.column("index").to_pylist() == list(range(info["total_frames"]))
    rows = pd.concat([pd.read_parquet(f) for f in sorted(root.glob("meta/episodes/*/*.parquet"))])
    assert len(rows) == info["total_episodes"] == len(eps)
    tasks = pd.read_parquet(root / "meta/tasks.parquet")
    key = "observation.images.front"
    shared = rows.groupby(["data/chunk_index", "data/file_index"]).size()
    assert shared.max() == len(eps)  # one packed data file (and mp4) holds every episode
    for i, ep in enumerate(eps):
        row = rows.iloc[i]
        assert row["episode_index"] == i
        data_path = info["data_path"].format(chunk_index=row["data/chunk_index"], file_index=row["data/file_index"])
        assert (root / data_path).is_file()
        frames = data.slice(row["dataset_from_index"], row["dataset_to_index"] - row["dataset_from_index"]).to_pydict()
        assert frames["episode_index"] == [i] * ep.length and frames["frame_index"] == list(range(ep.length))
        assert np.array_equal(np.array(frames["action"], np.float32), ep.data["action"])
        assert tasks.iloc[frames["task_index"][0]].name == ep.task
        video_path = info["video_path"].format(
            video_key=key, chunk_index=row[f"videos/{key}/chunk_index"], file_index=row[f"videos/{key}/file_index"]
        )
        with av.open(str(root / video_path)) as container:
            decoded = [(frame.time, frame.to_ndarray(format="rgb24")) for frame in container.decode(video=0)]
        times = np.array([t for t, _ in decoded])
        for t, want in zip(frames["timestamp"], ep.videos[key]):
            query = row[f"videos/{key}/from_timestamp"] + t
            k = int(np.argmin(np.abs(times - query)))
            assert abs(times[k] - query) < 1e-4  # lerobot's tolerance_s
            assert np.abs(decoded[k][1].astype(int) - want).mean() < 3  # lossy h264, the right frame


def test_lerobot_itself_loads_a_packed_dataset(tmp_path, monkeypatch):
    lerobot_dataset = pytest.importorskip(
        "lerobot.datasets.lerobot_dataset", reason="lerobot is not installed (large; optional)"
    )
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with DatasetWriter.create(tmp_path / "ds", FEATURES, fps=20) as w:
        for ep in episodes():
            w.add_episode(ep)
    ds = lerobot_dataset.LeRobotDataset(repo_id="local/packed", root=tmp_path / "ds", video_backend="pyav")
    assert ds.num_episodes == 6 and ds[len(ds) - 1]["task"] == "b"


def test_old_per_episode_datasets_open_and_append_packs_them(tmp_path, monkeypatch):
    """A dataset written before packing (one file per episode, never closed = still loose) reads,
    and the next append packs it."""
    eps = episodes()
    w = DatasetWriter.create(tmp_path / "ds", FEATURES, fps=20)
    for ep in eps[:4]:
        w.add_episode(ep)  # no close: every episode stays in its own files, the old layout
    root = tmp_path / "ds"
    assert len(list(root.glob("data/*/*.parquet"))) == 4
    assert [e.length for e in Dataset(root).iter_episodes(videos=False)] == [5, 6, 7, 8]
    with DatasetWriter.append(root) as w:
        for ep in eps[4:]:
            w.add_episode(ep)
    assert len(list(root.glob("data/*/*.parquet"))) == 1 and len(list(root.glob("meta/episodes/*/*.parquet"))) == 1
    ds = Dataset(root)
    assert [ds.episode(i, videos=False).length for i in range(6)] == [5, 6, 7, 8, 9, 10]
    assert ds.stats["observation.state"]["count"][0] == sum(ep.length for ep in eps)


def test_episodes_read_in_any_order_give_the_same_frames(tmp_path, monkeypatch):
    """Reading in order continues one open decoder per camera across a packed file; any other order
    seeks. Both must give each episode exactly its own frames, as a fresh decode of it does."""
    from demoforge.augment.data import packing
    from demoforge.augment.data.video import decode_video

    monkeypatch.setattr(packing, "MAX_PACK_EPISODES", 3)  # files of 3 episodes: order crosses files
    rng = np.random.default_rng(4)
    with DatasetWriter.create(tmp_path / "ds", FEATURES, fps=20) as w:
        for length in (5, 9, 4, 7, 6, 8, 5):
            w.add_episode(make_episode(rng, length))
    ds = Dataset(tmp_path / "ds")
    key = "observation.images.front"
    in_order = [e.videos[key] for e in ds.iter_episodes()]
    assert [len(f) for f in in_order] == [5, 9, 4, 7, 6, 8, 5]
    shuffled = Dataset(tmp_path / "ds")
    for i in (6, 2, 3, 4, 0, 1, 5, 5, 0):
        assert np.array_equal(shuffled.episode(i).videos[key], in_order[i]), i
    for i, row in enumerate(ds.episodes):
        alone = decode_video(
            ds.video_file(row, key), start=float(row[f"videos/{key}/from_timestamp"]), count=row["length"], fps=20
        )
        assert np.array_equal(alone, in_order[i]), i


def test_a_closed_dataset_releases_its_video_files_and_reopens_them_on_the_next_read(tmp_path):
    rng = np.random.default_rng(5)
    with DatasetWriter.create(tmp_path / "ds", FEATURES, fps=20) as w:
        for length in (5, 6):
            w.add_episode(make_episode(rng, length))
    key = "observation.images.front"
    with Dataset(tmp_path / "ds") as ds:
        first = ds.episode(0).videos[key]
        readers = list(ds._readers.values())
        assert len(readers) == 1 and readers[0]._frames is not None  # kept open between reads
    assert ds._readers == {}  # the with-block closed every open decoder
    assert all(r._frames is None for r in readers)
    assert np.array_equal(ds.episode(0).videos[key], first)  # a read after close reopens
    ds.close()
    ds.close()  # closing twice is harmless
