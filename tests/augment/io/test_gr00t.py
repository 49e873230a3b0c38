"""GR00T export: read back the way Isaac-GR00T's loaders do (LeRobot v2.1 + modality.json)."""

import json
from pathlib import Path

import av
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from demoforge.augment.data.dataset import Dataset, DatasetError
from demoforge.augment.io.convert import export_dataset, import_dataset

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.fixture(scope="module")
def demos(demo_dataset):
    return demo_dataset("PickPlace", episodes=3, cameras=("front", "wrist"), image_size=(48, 64))


def _check_like_groot(root: Path):
    info = json.loads((root / "meta/info.json").read_text())
    assert info["codebase_version"] == "v2.1"
    assert info["total_chunks"] == 1 and info["total_videos"] == info["total_episodes"] * len(
        [f for f in info["features"].values() if f["dtype"] == "video"]
    )
    assert "data_files_size_in_mb" not in info
    lines = (root / "meta/episodes.jsonl").read_text().split("\n")
    assert lines[-1] == "" and all(lines[:-1]), "no blank lines inside a .jsonl (GR00T issue #288)"
    episodes = [json.loads(x) for x in lines[:-1]]
    tasks = [json.loads(x) for x in (root / "meta/tasks.jsonl").read_text().splitlines()]
    modality = json.loads((root / "meta/modality.json").read_text())
    stats = json.loads((root / "meta/stats.json").read_text())
    videos = {k: f for k, f in info["features"].items() if f["dtype"] == "video"}
    for ep in episodes:
        chunk = ep["episode_index"] // info["chunks_size"]
        data = pq.read_table(root / info["data_path"].format(episode_chunk=chunk, episode_index=ep["episode_index"]))
        assert data.num_rows == ep["length"] and data.column("timestamp")[0].as_py() == 0.0
        for part in ("state", "action"):
            default = "observation.state" if part == "state" else "action"
            columns = {g.get("original_key", default) for g in modality[part].values()}
            for column in columns:
                width = len(data.column(column)[0].as_py())
                groups = [g for g in modality[part].values() if g.get("original_key", default) == column]
                covered = sorted((g["start"], g["end"]) for g in groups)
                assert covered[0][0] == 0 and covered[-1][1] == width  # the slices tile the vector exactly
                assert all(a[1] == b[0] for a, b in zip(covered, covered[1:]))
                assert all(g["dtype"] == info["features"][column]["dtype"] for g in groups)
        annotation = data.column("annotation.human.action.task_description").to_numpy()
        assert tasks[annotation[0]]["task"] == ep["tasks"][0]
        for key, f in videos.items():
            assert "channels" in f["names"] and f["info"]["video.fps"] == info["fps"]
            path = root / info["video_path"].format(
                episode_chunk=chunk, video_key=key, episode_index=ep["episode_index"]
            )
            with av.open(str(path)) as c:
                codec = c.streams.video[0].codec_context.name
                frames = list(c.decode(video=0))
            assert len(frames) == ep["length"] and frames[0].time == 0.0  # N1.6 asserts frame count == length
            assert codec == "h264"
    _slice_stats_like_n15(info, modality, stats)
    assert set(modality["video"]) == {k.removeprefix("observation.images.") for k in videos}
    assert modality["annotation"] == {"human.action.task_description": {}}


GROOT_STATS = {"mean", "std", "min", "max", "q01", "q99"}


def _slice_stats_like_n15(info: dict, modality: dict, stats: dict) -> None:
    """Isaac-GR00T N1.5 (gr00t/data/dataset.py): for every state/action group, every stat of its
    original column is indexed by range(start, end); a stat shorter than the column (lerobot's
    `count` is [N]) raises IndexError there."""
    for part, default in (("state", "observation.state"), ("action", "action")):
        for name, group in modality[part].items():
            column = group.get("original_key", default)
            dim = info["features"][column]["shape"][0]
            assert set(stats[column]) == GROOT_STATS, f"{column}: only GR00T's six stats"
            for stat, values in stats[column].items():
                values = np.asarray(values)
                assert values.shape == (dim,), f"{column}/{stat}: shape {values.shape}, expected ({dim},)"
                assert len(values[np.arange(group["start"], group["end"])]) == group["end"] - group["start"], name
    for column, d in stats.items():  # no stat that is not per-dimension, anywhere
        assert set(d) == GROOT_STATS, column
        f = info["features"][column]
        if f["dtype"] != "video":
            assert all(np.asarray(v).shape == tuple(f["shape"]) for v in d.values()), column


def test_object_poses_are_state_groups_of_the_environment_state(demos, tmp_path):
    out = export_dataset(demos, "gr00t", tmp_path / "g")
    info = json.loads((out / "meta/info.json").read_text())
    modality = json.loads((out / "meta/modality.json").read_text())
    names = info["features"]["observation.environment_state"]["names"]
    env = {k: g for k, g in modality["state"].items() if g.get("original_key") == "observation.environment_state"}
    assert env, "object poses have a modality group"
    quats = [g for g in env.values() if g.get("rotation_type") == "quaternion"]
    assert len(quats) == 2  # PickPlace: two objects, one quaternion each
    for g in quats:
        assert [n.split(".")[-1] for n in names[g["start"] : g["end"]]] == ["w", "x", "y", "z"]
    assert all(g["dtype"] == "float32" for g in modality["state"].values())
    assert all(g["dtype"] == "float32" for g in modality["action"].values())


def test_export_reads_back_like_groot_and_round_trips(demos, tmp_path):
    out = export_dataset(demos, "gr00t", tmp_path / "g")
    _check_like_groot(out)
    report = import_dataset(out, tmp_path / "back")
    assert report.format == "gr00t"
    a, b = Dataset(demos), Dataset(tmp_path / "back")
    assert len(a) == len(b)
    for i in range(len(a)):
        x, y = a.episode(i), b.episode(i)
        assert x.task == y.task and y.meta["seed"] == x.meta["seed"]
        for k, v in x.data.items():
            assert y.data[k].dtype == v.dtype and np.array_equal(y.data[k], v), k
        for k, v in x.videos.items():
            assert y.videos[k].shape == v.shape and np.abs(y.videos[k].astype(int) - v).mean() < 4


def test_export_from_lerobots_packed_av1_files_reencodes_each_episode(tmp_path):
    out = export_dataset(FIXTURES / "lerobot-v3", "gr00t", tmp_path / "g")
    _check_like_groot(out)


def test_missing_camera_in_one_episode_is_named_and_nothing_is_left(demos, tmp_path):
    broken = tmp_path / "broken"
    import shutil

    shutil.copytree(demos, broken)
    (broken / "videos/observation.images.wrist/chunk-000/file-000.mp4").unlink()  # every episode's (packed)
    missing = "episode 0 has no video for camera 'observation.images.wrist'|images.wrist/chunk-000/file-000.mp4 missing"
    with pytest.raises(DatasetError, match=missing):
        export_dataset(broken, "gr00t", tmp_path / "out")
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out*"))


def test_episode_with_no_frames_is_named(demos, tmp_path):
    broken = tmp_path / "broken"
    import shutil

    shutil.copytree(demos, broken)
    meta = broken / "meta/episodes/chunk-000/file-000.parquet"  # all episodes' rows (packed)
    table = pq.read_table(meta)
    lengths = table.column("length").to_pylist()[:2] + [0]
    table = table.set_column(table.column_names.index("length"), "length", pa.array(lengths, pa.int64()))
    pq.write_table(table, meta)
    with pytest.raises(DatasetError, match="episode 2 has no frames"):
        export_dataset(broken, "gr00t", tmp_path / "out")
    assert not (tmp_path / "out").exists()
