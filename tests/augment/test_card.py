"""The dataset card (README.md in the dataset root, the Hub's page for it) that collect, generate,
import and the LeRobot and GR00T exports write: Hub metadata that parses and points at the data,
and every stored feature described."""

import glob
import json
import shutil

import pytest
import yaml
from demoforge.augment.data.card import CARD, dataset_card
from demoforge.augment.data.dataset import Dataset
from demoforge.augment.generate import GenerateConfig, generate
from demoforge.augment.io.convert import export_dataset


def _card(root):
    """(front matter as parsed YAML, body) of the card in `root`."""
    text = (root / CARD).read_text()
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body


def _check(root, ds: Dataset, source: str):
    meta, body = _card(root)
    assert meta["license"] == "apache-2.0" and meta["task_categories"] == ["robotics"]
    assert meta["tags"][0] == "LeRobot" and "Lift" in meta["tags"]
    [config] = meta["configs"]
    assert glob.glob(str(root / config["data_files"]))  # the Hub viewer's pattern finds the parquet files
    assert f"**Episodes:** {len(ds)} ({len(ds)} successful), {ds.num_frames} frames at 20 fps" in body
    assert f"{len(ds)} {source}" in body
    for key in ("observation.state", "action", "next.subtask_signals", "datagen.eef_pose"):
        assert f"| `{key}` |" in body
    assert "gripper-down" in body  # the quaternion sign convention a checker cannot guess


@pytest.fixture(scope="module")
def real(demo_dataset):
    return demo_dataset("Lift", episodes=3)


def test_collect_and_generate_write_a_card(real, tmp_path):
    _check(real, Dataset(real), "real")
    generate(real, tmp_path / "gen", GenerateConfig(num=2, workers=1))
    _check(tmp_path / "gen", Dataset(tmp_path / "gen"), "synthetic")


@pytest.mark.parametrize("fmt", ["lerobot", "gr00t"])
def test_lerobot_and_gr00t_exports_write_a_card(real, tmp_path, fmt):
    out = export_dataset(real, fmt, tmp_path / fmt)
    _check(out, Dataset(real), "real")
    assert ("v2.1" in _card(out)[1]) == (fmt == "gr00t")


def test_a_dataset_written_before_issue_41_is_described_as_it_is(real, tmp_path):
    """Its eef quaternion is w ≥ 0 (flipping), its signals those before each action."""
    old = tmp_path / "old"
    shutil.copytree(real, old)
    info = json.loads((old / "meta/info.json").read_text())
    info["features"]["subtask_signals"] = info["features"].pop("next.subtask_signals")
    (old / "meta/info.json").write_text(json.dumps(info))
    card = dataset_card(Dataset(old))
    assert "w ≥ 0, which flips sign" in card and "gripper-down" not in card
    assert "| `subtask_signals` |" in card


def test_an_imported_state_layout_is_not_described_as_ours(real, tmp_path):
    foreign = tmp_path / "foreign"
    shutil.copytree(real, foreign)
    info = json.loads((foreign / "meta/info.json").read_text())
    info["features"]["observation.state"]["names"] = None
    (foreign / "meta/info.json").write_text(json.dumps(info))
    card = dataset_card(Dataset(foreign))
    assert "| `observation.state` | float32 | [23] |  |" in card and "gripper-down" not in card
