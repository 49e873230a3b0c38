"""The episode store: round trips, lerobot's own files, stats, crash safety, clear errors."""

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from demoforge.augment.dataset import Dataset, DatasetError, Episode, video_feature
from demoforge.augment.dataset_writer import DatasetWriter
from demoforge.augment.stats import vector_stats

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
    t = pq.read_table(tmp_path / "ds/data/chunk-000/file-001.parquet").to_pydict()
    assert t["index"] == [5, 6, 7, 8] and t["frame_index"] == [0, 1, 2, 3]
    assert np.allclose(t["timestamp"], [0, 0.05, 0.1, 0.15])
    assert set(t) == {*FEATURES, "timestamp", "frame_index", "episode_index", "index", "task_index"} - {
        "observation.images.front"
    }  # exactly the non-video features: lerobot rejects extra columns


def test_stats_match_direct_computation(tmp_path):
    rng = np.random.default_rng(2)
    eps = [make_episode(rng, n) for n in (10, 30, 5)]
    with DatasetWriter.create(tmp_path / "ds", FEATURES, fps=20) as w:
        for ep in eps:
            w.add_episode(ep)
    stats = Dataset(tmp_path / "ds").stats
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
    import numpy as np
    import pyarrow.parquet as pq
    import importlib.util
    spec = importlib.util.spec_from_file_location("store_test", {this!r})
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    FEATURES, make_episode = mod.FEATURES, mod.make_episode
    from demoforge.augment.dataset_writer import DatasetWriter

    calls = {{"n": 0}}
    real = pq.write_table
    def dying_write(table, where, **kw):
        calls["n"] += 1
        if calls["n"] == {die_at}:  # die in the middle of an episode, after its data file
            real(table.slice(0, 1), where, **kw)
            os.kill(os.getpid(), signal.SIGKILL)
        return real(table, where, **kw)
    pq.write_table = dying_write
    rng = np.random.default_rng(0)
    with DatasetWriter.create({root!r}, FEATURES, fps=20) as w:
        for i in range(6):
            w.add_episode(make_episode(rng, 5 + i))
    """
)


# Parquet writes: tasks at create; episode 0: data, meta row (the commit), tasks (a new task);
# later episodes: data, meta row. Dying at write 9 or 10 (episode 3's data, its meta row) leaves
# 3 episodes; at 11 (episode 4's data, after episode 3's commit) 4.
@pytest.mark.parametrize(("die_at", "complete"), [(9, 3), (10, 3), (11, 4)])
def test_kill_mid_write_leaves_complete_episodes_and_appends_again(tmp_path, die_at, complete):
    root = tmp_path / "ds"
    script = CHILD.format(this=str(Path(__file__).resolve()), die_at=die_at, root=str(root))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    ds = Dataset(root)
    assert len(ds) == complete  # whole episodes only: the one being written is absent, not half there
    assert [ep.length for ep in ds] == [5 + i for i in range(complete)]
    with DatasetWriter.append(root) as w:
        assert w.num_episodes == complete
        w.add_episode(make_episode(np.random.default_rng(9), 4))
    ds = Dataset(root)
    lengths = [5 + i for i in range(complete)] + [4]
    assert len(ds) == complete + 1 and [ep.length for ep in ds] == lengths
    assert not list(root.rglob("*.tmp"))
    info = json.loads((root / "meta/info.json").read_text())
    assert info["total_episodes"] == complete + 1 and info["total_frames"] == sum(lengths)
    assert len(list((root / "data").rglob("*.parquet"))) == complete + 1  # orphans of the dead episode gone
    assert os.path.exists(root / "meta/stats.json")
