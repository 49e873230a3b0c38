"""Import mapping: composing the 7-D datagen poses from separate fields, and shape checks."""

import h5py
import numpy as np
import pytest
from demoforge.augment.data.dataset import Dataset, DatasetError
from demoforge.augment.io.convert import import_dataset
from demoforge.augment.io.mapping import check_feature_shapes, load_mapping
from demoforge.envs import ConfigError


def _source(path, n=12, demos=2):
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as f:
        data = f.create_group("data")
        data.attrs["env_args"] = '{"env_name": "Lift", "type": 1, "env_kwargs": {}}'
        for i in range(demos):
            g = data.create_group(f"demo_{i}")
            g["actions"] = rng.uniform(-1, 1, (n, 7))
            g["obs/eef_pos"] = rng.normal(size=(n, 3))
            g["obs/eef_quat"] = rng.normal(size=(n, 4))
            g["obs/cube_pos"] = rng.normal(size=(n, 3))
            g["obs/cube_quat"] = rng.normal(size=(n, 4))
            g.attrs["num_samples"] = n


def _mapping(tmp_path, text):
    path = tmp_path / "map.toml"
    path.write_text(text)
    return path


def test_compose_builds_the_7d_poses_from_position_and_quaternion_fields(tmp_path):
    src = tmp_path / "src.hdf5"
    _source(src)
    mapping = _mapping(
        tmp_path,
        "[compose]\n"
        '"datagen.eef_pose" = ["obs/eef_pos", "obs/eef_quat"]\n'
        '"datagen.object_poses" = ["obs/cube_pos", "obs/cube_quat"]\n',
    )
    report = import_dataset(src, tmp_path / "out", mapping=mapping)
    assert report.mapped["obs/eef_pos"] == report.mapped["obs/eef_quat"] == "datagen.eef_pose"
    assert report.mapped["obs/cube_quat"] == "datagen.object_poses"
    ds = Dataset(tmp_path / "out")
    assert "observation.eef_pos" not in ds.features  # consumed by the composition
    assert ds.features["datagen.eef_pose"]["shape"] == [7] and ds.features["datagen.object_poses"]["shape"] == [7]
    with h5py.File(src) as f:
        pos, quat = f["data/demo_1/obs/eef_pos"][()], f["data/demo_1/obs/eef_quat"][()]
    assert np.array_equal(ds.episode(1).data["datagen.eef_pose"], np.concatenate((pos, quat), axis=1))


def test_a_wrongly_shaped_pose_is_one_line_naming_field_and_shape(tmp_path):
    src = tmp_path / "src.hdf5"
    _source(src)
    mapping = _mapping(tmp_path, '[rename]\n"obs/eef_quat" = "datagen.eef_pose"\n')
    with pytest.raises(DatasetError) as err:
        import_dataset(src, tmp_path / "out", mapping=mapping)
    message = str(err.value)
    assert "\n" not in message and "'datagen.eef_pose'" in message and "(4,)" in message and "(7,)" in message
    assert "'obs/eef_quat'" in message
    assert not (tmp_path / "out").exists()
    mapping = _mapping(tmp_path, '[compose]\n"datagen.object_poses" = ["obs/cube_pos", "obs/eef_pos"]\n')
    with pytest.raises(DatasetError, match=r"'datagen.object_poses' \(from \[compose\].*\(6,\), expected \(7·n,\)"):
        import_dataset(src, tmp_path / "out", mapping=mapping)


def test_compose_errors_name_the_missing_field_and_bad_tables(tmp_path):
    src = tmp_path / "src.hdf5"
    _source(src)
    mapping = _mapping(tmp_path, '[compose]\n"datagen.eef_pose" = ["obs/eef_pos", "obs/nope"]\n')
    with pytest.raises(DatasetError, match="'datagen.eef_pose' needs field 'obs/nope'"):
        import_dataset(src, tmp_path / "out", mapping=mapping)
    for text, message in [
        ('[compose]\n"datagen.eef_pose" = "obs/eef_pos"\n', "non-empty list"),
        ('[compose]\n"datagen.eef_pose" = []\n', "non-empty list"),
        ('[compose]\n"a" = ["obs/x"]\n"b" = ["obs/x"]\n', "'obs/x' is used twice"),
        ('[rename]\n"obs/y" = "a"\n[compose]\n"a" = ["obs/x"]\n', "both a \\[rename\\] target and a \\[compose\\]"),
        ('[compose]\n"a/b" = ["obs/x"]\n', "must not contain '/'"),
    ]:
        with pytest.raises(ConfigError, match=message):
            load_mapping(_mapping(tmp_path, text))


def test_check_feature_shapes():
    n = 5
    check_feature_shapes("x", {"datagen.eef_pose": np.zeros((n, 7)), "datagen.object_poses": np.zeros((n, 14))})
    with pytest.raises(DatasetError, match=r"field 'datagen.object_poses' has per-frame shape \(10,\)"):
        check_feature_shapes("x", {"datagen.object_poses": np.zeros((n, 10))})
    with pytest.raises(DatasetError, match=r"field 'datagen.eef_pose' has per-frame shape \(4, 4\), expected \(7,\)"):
        check_feature_shapes("x", {"datagen.eef_pose": np.zeros((n, 4, 4))})
