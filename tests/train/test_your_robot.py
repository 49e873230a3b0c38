"""Issue 38's "your robot": an arm that is not built in, given only as an MJCF file plus a robot TOML
(`tests/robot_files.py`: six joints, other link lengths, a parallel 2-finger gripper), runs
collect → generate → train → eval on Lift through the command line."""

import json

from demoforge.augment.data.dataset import Dataset
from demoforge.train.cli import main

from tests.registrations import registrations_restored
from tests.robot_files import write_arm6


def test_an_arm_from_a_file_runs_collect_generate_train_eval(tmp_path, capsys):
    robot = str(write_arm6(tmp_path))
    real, synthetic, run = (str(tmp_path / name) for name in ("real", "synthetic", "run"))
    with registrations_restored():  # eval below must find the robot from the checkpoint alone
        assert main(["collect", "--task", "Lift", "--episodes", "3", "--robot", robot, "--out", real]) == 0
        assert main(["generate", "--source", real, "--out", synthetic, "--num", "4", "--workers", "1"]) == 0
        assert main(["train", "--real", real, "--synthetic", synthetic, "--out", run, "--steps", "30"]) == 0
    for root in (real, synthetic):
        with Dataset(root) as ds:
            assert ds.info["robot"]["name"] == "arm6" and ds.info["robot_type"] == "arm6"
            assert ds.info["robot"]["arm_joints"] == [f"a6_j{i}" for i in range(1, 7)]
            assert ds.episode(0, videos=False).data["observation.state"].shape[1] == 6 + 6 + 3 + 4 + 2
    assert json.loads((tmp_path / "run" / "config.json").read_text())["robot"]["file"] == robot
    capsys.readouterr()
    assert main(["eval", run, "--episodes", "2", "--workers", "1", "--videos", "0"]) == 0
    out = capsys.readouterr().out
    assert "Lift in target: success" in out
    eval_json = json.loads((tmp_path / "run" / "eval_target" / "eval.json").read_text())
    assert eval_json["episodes"] == 2


def test_generating_for_a_robot_that_does_not_fit_the_source_is_one_line(tmp_path, capsys, demo_dataset):
    robot = str(write_arm6(tmp_path))
    source = demo_dataset("Lift", 2)
    with registrations_restored():
        code = main(["generate", "--source", str(source), "--out", str(tmp_path / "g"), "--robot", robot])
        train = main(["train", "--real", str(source), "--out", str(tmp_path / "r"), "--robot", robot])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and train == 1 and len(err) == 2
    assert "made with robot 'panda' (7 arm joints, 2 finger joints); robot 'arm6' (6 arm joints" in err[0]
    assert f"dataset {source}: made with robot 'panda'" in err[1]
