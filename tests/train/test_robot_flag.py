"""`--robot NAME|path.toml` on the verbs and the config fields behind it: an unknown name lists the
known robots, a bad file is one line naming file, line and key, the Python API refuses what the
command refuses, and a robot whose layout does not fit the data (or checkpoint) is refused."""

import dataclasses

import pytest
from demoforge.augment.data.record import CollectConfig
from demoforge.augment.data.robot_layout import checkpoint_robot, chosen_robot
from demoforge.augment.data.safety import DatasetError
from demoforge.augment.generate import GenerateConfig
from demoforge.augment.teleop import TeleopConfig
from demoforge.envs import ConfigError, UnknownNameError
from demoforge.envs.robots import get_robot, register_robot
from demoforge.train.cli import main
from demoforge.train.evaluate import EvalConfig
from demoforge.train.run_config import RunConfig
from demoforge.train.trainer import TrainConfig

from tests.registrations import registrations_restored
from tests.robot_files import panda_toml

PANDA = get_robot("panda")
CONFIGS = [
    lambda robot: CollectConfig(robot=robot),
    lambda robot: TeleopConfig(robot=robot),
    lambda robot: GenerateConfig(robot=robot),
    lambda robot: TrainConfig(robot=robot),
    lambda robot: EvalConfig(robot=robot),
    lambda robot: RunConfig(robot=robot, calibration="off"),
]


@pytest.mark.parametrize("make", CONFIGS)
def test_every_verb_config_refuses_an_unknown_robot_listing_the_known(make):
    with pytest.raises(UnknownNameError, match=r"\.robot='ur5': unknown robot 'ur5'; known: panda"):
        make("ur5")


@pytest.mark.parametrize("make", CONFIGS)
def test_every_verb_config_refuses_a_bad_robot_file_in_one_line(tmp_path, make):
    path = tmp_path / "arm.toml"
    path.write_text(panda_toml(tcp_site="3"))
    with pytest.raises(ConfigError, match=rf"\.robot: {path}, line \d+, arm\[0\]\.tcp_site") as info:
        make(str(path))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("verb", ["collect", "teleop", "generate", "train", "eval", "run"])
def test_the_cli_refuses_an_unknown_robot_in_one_line(tmp_path, capsys, verb):
    args = {
        "collect": ["collect", "--out", str(tmp_path / "o")],
        "teleop": ["teleop", "--out", str(tmp_path / "o")],
        "generate": ["generate", "--source", str(tmp_path), "--out", str(tmp_path / "o")],
        "train": ["train", "--real", str(tmp_path), "--out", str(tmp_path / "o")],
        "eval": ["eval", str(tmp_path)],
        "run": ["run", "--out", str(tmp_path / "o"), "--calibration", "off"],
    }[verb]
    assert main([*args, "--robot", "ur5"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown robot 'ur5'; known: panda" in err, err
    assert not (tmp_path / "o").exists()


def test_info_robots_lists_one_name_per_line_first(tmp_path, capsys):
    path = tmp_path / "arm.toml"
    path.write_text(panda_toml(name="my_panda"))
    with registrations_restored():
        assert main(["info", "--robots", "--robot", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == ["panda", "my_panda", ""]
    assert "panda: built in" in lines and f"my_panda: {path}" in lines


def test_a_run_on_another_robot_needs_calibration_off(tmp_path):
    path = tmp_path / "arm.toml"
    path.write_text(panda_toml(name="my_panda"))
    with registrations_restored():
        with pytest.raises(ConfigError, match="RunConfig.calibration='cover': calibration replays .* only"):
            RunConfig(robot=str(path))
        assert RunConfig(robot=str(path), calibration="off").robot == str(path)


def _six_joint_variant() -> object:
    """A description with six arm joints: its layout fits no Panda data (its MJCF is never built)."""
    arm = PANDA.arm
    six = dataclasses.replace(
        arm,
        joints=arm.joints[:6],
        actuators=arm.actuators[:6],
        joint_lower=arm.joint_lower[:6],
        joint_upper=arm.joint_upper[:6],
        home_qpos=arm.home_qpos[:6],
    )
    return dataclasses.replace(PANDA, name="six", arms=(six,))


def test_a_robot_whose_layout_does_not_fit_the_data_is_refused_in_one_line():
    info = {"robot": PANDA.layout()}
    with registrations_restored():
        register_robot(_six_joint_variant())
        with pytest.raises(
            DatasetError, match=r"made with robot 'panda' \(7 arm joints, 2 finger joints\); robot 'six'"
        ):
            chosen_robot(info, "six", "source s")
        with pytest.raises(DatasetError, match="checkpoint c: made with robot 'panda'"):
            checkpoint_robot({**PANDA.layout(), "file": None}, "six", "checkpoint c")
        assert chosen_robot(info, None, "source s") == "panda"
        assert checkpoint_robot(None, None, "checkpoint c") == "panda"


def test_a_checkpoint_loads_its_robot_file_when_the_robot_is_not_registered(tmp_path):
    path = tmp_path / "arm.toml"
    path.write_text(panda_toml(name="filed"))
    with registrations_restored():
        layout = {**register_robot(path).layout(), "file": str(path)}
    with registrations_restored():
        assert checkpoint_robot(layout, None, "checkpoint c") == "filed"
    with pytest.raises(DatasetError, match="trained for robot 'gone', which is not registered here"):
        checkpoint_robot({**layout, "name": "gone", "file": None}, None, "checkpoint c")


def test_a_lerobot_checkpoint_is_not_evaluated_on_another_robot(tmp_path):
    from demoforge.train.lerobot_eval import evaluate_lerobot

    path = tmp_path / "arm.toml"
    path.write_text(panda_toml(name="my_panda"))
    with registrations_restored():
        with pytest.raises(ConfigError, match="a LeRobot checkpoint is evaluated on the default robot 'panda' only"):
            evaluate_lerobot(tmp_path / "pretrained_model", EvalConfig(robot=str(path)))
