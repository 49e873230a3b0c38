"""Import and export against the real libraries' readers, with exact round trips."""

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
from demoforge.augment.data.dataset import Dataset, DatasetError
from demoforge.augment.io.convert import export_dataset, import_dataset
from demoforge.augment.io.minari import minari_root
from demoforge.envs import ConfigError, UnknownNameError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.fixture(scope="module")
def demos(demo_dataset):
    """Three real-style Stack demos with a camera: every feature kind the store has."""
    return demo_dataset("Stack", episodes=3, cameras=("front",), image_size=(48, 64))


def _assert_same(a: Dataset, b: Dataset, video_tol: float = 4.0):
    assert len(a) == len(b)
    for i in range(len(a)):
        x, y = a.episode(i), b.episode(i)
        assert x.task == y.task
        assert set(x.data) == set(y.data)
        for k, v in x.data.items():
            assert y.data[k].dtype == v.dtype and np.array_equal(y.data[k], v), k
        for k, v in x.videos.items():  # h264 is lossy: the import re-encodes decoded frames
            assert y.videos[k].shape == v.shape and np.abs(y.videos[k].astype(int) - v).mean() < video_tol
        assert y.meta["seed"] == x.meta["seed"] and y.meta["domain"] == x.meta["domain"]


@pytest.mark.parametrize(
    ("fmt", "name", "inner"),
    [("robomimic", "x.hdf5", ""), ("lerobot", "lr", ""), ("minari", "mn", "demoforge/stack-v0")],
)
def test_export_then_import_gives_back_the_same_arrays(demos, tmp_path, fmt, name, inner):
    out = export_dataset(demos, fmt, tmp_path / name)
    report = import_dataset(out / inner if inner else out, tmp_path / "back")
    assert report.episodes == 3 and report.format == fmt
    _assert_same(Dataset(demos), Dataset(tmp_path / "back"))


def test_robomimic_export_has_the_layout_robomimic_and_mimicgen_read(demos, tmp_path):
    out = export_dataset(demos, "robomimic", tmp_path / "d.hdf5")
    with h5py.File(out) as f:
        env_args = json.loads(f["data"].attrs["env_args"])
        assert env_args["type"] == 2 and "env_kwargs" in env_args  # `type`, not `env_type`
        demos_ = sorted(f["data"], key=lambda d: int(d[5:]))
        assert demos_ == ["demo_0", "demo_1", "demo_2"]
        total = 0
        for d in demos_:
            g = f["data"][d]
            n = g.attrs["num_samples"]
            total += n
            assert g["actions"].shape == (n, 7) and g["rewards"].shape == (n,) and g["dones"][-1] == 1
            assert g["states"].shape[0] == n
            assert set(g["obs"]) == set(g["next_obs"]) == {"state", "environment_state", "front_image"}
            assert g["obs/front_image"].dtype == np.uint8 and g["obs/front_image"].shape[1:] == (48, 64, 3)
            assert np.array_equal(g["next_obs/state"][:-1], g["obs/state"][1:])
            assert g["datagen_info/eef_pose"].shape == (n, 4, 4)
            assert set(g["datagen_info/object_poses"]) == {"cubeA", "cubeB"}
            assert "grasped" in g["datagen_info/subtask_term_signals"]
        assert f["data"].attrs["total"] == total
        assert [m.decode() for m in f["mask/train"][()]] == demos_


def test_minari_export_loads_with_minari(demos, tmp_path):
    import minari

    export_dataset(demos, "minari", tmp_path / "root", dataset_id="acme/stack-v3")
    with minari_root(tmp_path / "root"):
        ds = minari.load_dataset("acme/stack-v3")
        assert ds.total_episodes == 3
        ep = next(ds.iterate_episodes())
        assert ep.observations["state"].shape[0] == len(ep.actions) + 1
        assert ep.observations["image_front"].dtype == np.uint8


def test_lerobot_export_carries_a_groot_modality_file(demos, tmp_path):
    out = export_dataset(demos, "lerobot", tmp_path / "lr")
    modality = json.loads((out / "meta/modality.json").read_text())
    info = json.loads((out / "meta/info.json").read_text())
    assert info["codebase_version"] == "v3.0"
    names = info["features"]["observation.state"]["names"]
    eef = modality["state"]["eef_quat"]
    assert eef["rotation_type"] == "quaternion" and names[eef["start"] : eef["end"]] == [
        "eef_quat.w",
        "eef_quat.x",
        "eef_quat.y",
        "eef_quat.z",
    ]
    state = [p for p in modality["state"].values() if "original_key" not in p]
    assert max(p["end"] for p in state) == info["features"]["observation.state"]["shape"][0]
    assert modality["action"]["eef_rot"] == {
        "start": 3,
        "end": 6,
        "rotation_type": "axis_angle",
        "absolute": False,
        "dtype": "float32",
    }
    assert modality["video"] == {"front": {"original_key": "observation.images.front"}}


def test_lerobot_dataset_class_loads_the_export(demos, tmp_path, monkeypatch):
    lerobot_dataset = pytest.importorskip(
        "lerobot.datasets.lerobot_dataset", reason="lerobot is not installed (large; optional)"
    )
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = export_dataset(demos, "lerobot", tmp_path / "lr")
    ds = lerobot_dataset.LeRobotDataset(repo_id="local/stack", root=out, video_backend="pyav")
    assert ds.num_episodes == 3 and ds[0]["task"] == "stack the red cube on the green cube"


def test_import_the_libraries_own_fixtures(tmp_path):
    report = import_dataset(FIXTURES / "lerobot-v3", tmp_path / "a")
    assert report.episodes == 2 and report.frames == 41
    assert Dataset(tmp_path / "a").episode(1).videos["observation.images.front"].shape == (17, 64, 64, 3)
    report = import_dataset(FIXTURES / "minari/fixtures/lift-v0", tmp_path / "b")
    assert report.episodes == 2 and report.frames == 36
    ep = Dataset(tmp_path / "b").episode(0)
    assert ep.data["observation.proprio"].shape == (21, 9) and ep.data["action"].shape == (21, 7)


def _robomimic_file(path, demos=2, broken=None):
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as f:
        data = f.create_group("data")
        data.attrs["env_args"] = json.dumps({"env_name": "Lift", "type": 1, "env_kwargs": {}})
        for i in range(demos):
            g = data.create_group(f"demo_{i}")
            n = 10 + i
            g["actions"] = rng.uniform(-1, 1, (n, 7))
            g["obs/robot0_eef_pos"] = rng.normal(size=(n, 3))
            g["obs/object"] = rng.normal(size=(n, 10))
            g["obs/agentview_image"] = rng.integers(0, 255, (n, 32, 32, 3), dtype=np.uint8)
            g.attrs["num_samples"] = n if broken != "num_samples" else n + 1
        if broken == "name":
            data.create_group("extra")


def test_robomimic_import_with_a_mapping_reports_what_it_left_out(tmp_path):
    src = tmp_path / "src.hdf5"
    _robomimic_file(src)
    mapping = tmp_path / "map.toml"
    mapping.write_text('ignore = ["obs/object"]\n[rename]\n"obs/robot0_eef_pos" = "observation.eef_pos"\n')
    report = import_dataset(src, tmp_path / "out", mapping=mapping)
    assert report.mapped["obs/robot0_eef_pos"] == "observation.eef_pos"
    assert report.mapped["obs/agentview_image"] == "observation.images.agentview"
    assert report.unmapped == {"obs/object": "ignored by the mapping"}
    ds = Dataset(tmp_path / "out")
    assert set(ds.features) >= {"action", "observation.eef_pos", "observation.images.agentview"}
    assert ds.episode(1).task == "Lift" and ds.episode(1).length == 11


@pytest.mark.parametrize(
    ("broken", "message"), [("num_samples", "num_samples 11 != 10"), ("name", "data/extra is not named demo_<int>")]
)
def test_malformed_input_is_named_and_leaves_no_destination(tmp_path, broken, message):
    src = tmp_path / "bad.hdf5"
    _robomimic_file(src, broken=broken)
    with pytest.raises(DatasetError, match=message):
        import_dataset(src, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]  # no partial leftovers


def test_truncated_file_and_bad_choices(tmp_path, demos):
    src = tmp_path / "cut.hdf5"
    _robomimic_file(src)
    src.write_bytes(src.read_bytes()[:2000])
    with pytest.raises(DatasetError, match="cut.hdf5"):
        import_dataset(src, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    (tmp_path / "exists").mkdir()
    (tmp_path / "exists" / "notes.txt").write_text("mine")
    with pytest.raises(DatasetError, match="already exists"):
        export_dataset(demos, "lerobot", tmp_path / "exists")
    (tmp_path / "empty").mkdir()  # an empty folder holds nothing to lose: taken, as collect takes it
    export_dataset(demos, "lerobot", tmp_path / "empty")
    assert (tmp_path / "empty" / "meta" / "info.json").is_file()
    with pytest.raises(UnknownNameError, match="known: lerobot, gr00t, minari, robomimic"):
        export_dataset(demos, "rlds", tmp_path / "x")
    bad_map = tmp_path / "m.toml"
    bad_map.write_text("[renames]\n")
    with pytest.raises(ConfigError, match="m.toml: unknown key 'renames'"):
        import_dataset(FIXTURES / "lerobot-v3", tmp_path / "y", mapping=bad_map)


def test_a_source_in_no_known_format_is_refused_naming_every_format(tmp_path):
    (tmp_path / "notes.txt").write_text("not a dataset")
    with pytest.raises(
        DatasetError,
        match=r"not a LeRobot v3 folder, GR00T \(LeRobot v2.1\) folder, Minari dataset folder or robomimic",
    ):
        import_dataset(tmp_path / "notes.txt", tmp_path / "out")
    with pytest.raises(FileNotFoundError):
        import_dataset(tmp_path / "missing", tmp_path / "out")
    with pytest.raises(
        UnknownNameError, match="unknown import format 'rlds'; known: lerobot, gr00t, minari, robomimic"
    ):
        import_dataset(tmp_path / "notes.txt", tmp_path / "out", fmt="rlds")
