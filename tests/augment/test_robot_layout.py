"""Datasets record their robot (meta/info.json `robot`); training refuses to mix robots whose
joint layouts do not fit, in one line."""

import dataclasses

import pytest
from demoforge.augment.data.robot_layout import check_same_robot, recorded_robot
from demoforge.augment.data.safety import DatasetError
from demoforge.augment.data.writer import DatasetWriter
from demoforge.envs.robots import get_robot

FEATURES = {"action": {"dtype": "float32", "shape": [7], "names": None}}
PANDA = get_robot("panda")


def _dataset(root, robot):
    with DatasetWriter.create(root, FEATURES, fps=20, robot=robot):
        pass
    return root


def test_the_writer_records_the_layout_it_is_given(tmp_path):
    from demoforge.augment.data.dataset import Dataset

    root = _dataset(tmp_path / "a", PANDA.layout())
    with Dataset(root) as ds:
        assert recorded_robot(ds.info) == PANDA.layout()
        assert ds.info["robot"]["arm_joints"] == list(PANDA.arm.joints)
    with Dataset(_dataset(tmp_path / "b", None)) as ds:
        assert "robot" not in ds.info and recorded_robot(ds.info) is None


def test_robots_whose_layouts_do_not_fit_are_refused_in_one_line(tmp_path):
    panda = _dataset(tmp_path / "panda", PANDA.layout())
    copy = _dataset(tmp_path / "copy", {**PANDA.layout(), "name": "panda_copy"})
    unknown = _dataset(tmp_path / "unknown", None)
    six = dataclasses.replace(
        PANDA.arm,
        joints=PANDA.arm.joints[:6],
        actuators=PANDA.arm.actuators[:6],
        joint_lower=PANDA.arm.joint_lower[:6],
        joint_upper=PANDA.arm.joint_upper[:6],
        home_qpos=PANDA.arm.home_qpos[:6],
    )
    other = _dataset(tmp_path / "six", dataclasses.replace(PANDA, name="six", arms=(six,)).layout())
    check_same_robot([panda, copy, unknown])  # same widths, or nothing recorded: they fit
    with pytest.raises(DatasetError, match=r"robot 'six' \(6 arm joints, 2 finger joints\) does not fit") as info:
        check_same_robot([panda, unknown, other])
    assert "\n" not in str(info.value) and str(panda) in str(info.value)


def test_collected_data_and_its_exports_carry_the_robot(demo_dataset, tmp_path):
    """Recorded demos name their robot and its joints; the GR00T and robomimic exports keep them."""
    import json

    import h5py
    from demoforge.augment.data.dataset import Dataset
    from demoforge.augment.io.convert import export_dataset

    demos = demo_dataset("Lift", 2)
    with Dataset(demos) as ds:
        assert ds.info["robot_type"] == "panda" and recorded_robot(ds.info) == PANDA.layout()
    groot = export_dataset(demos, "gr00t", tmp_path / "g")
    assert json.loads((groot / "meta" / "info.json").read_text())["robot"] == PANDA.layout()
    path = export_dataset(demos, "robomimic", tmp_path / "demos.hdf5")
    with h5py.File(path) as f:
        assert json.loads(f["data"].attrs["demoforge_robot"]) == PANDA.layout()
