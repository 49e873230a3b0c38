"""`demoforge teleop --device script:…`: a file of key events drives the same session the web page
does, headlessly, and records the same episode to the byte every time (issue 39)."""

import json
from pathlib import Path

import numpy as np
import pytest
from demoforge.augment.data.dataset import Dataset
from demoforge.augment.teleop import TeleopConfig
from demoforge.augment.teleop.keymap import KeyState
from demoforge.envs import ConfigError
from demoforge.train.cli.main import main


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_script_records_the_same_episode_byte_for_byte_twice(lift_script, tmp_path):
    for out in ("a", "b"):
        argv = ["teleop", "--task", "Lift", "--device", f"script:{lift_script}", "--episodes", "1"]
        assert main([*argv, "--out", str(tmp_path / out)]) == 0
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert any(name.endswith(".mp4") for name in a), sorted(a)  # both cameras recorded as video
    assert a.keys() == b.keys()
    assert [name for name in a if a[name] != b[name]] == []
    ds = Dataset(tmp_path / "a")
    assert len(ds) == 1
    meta, data = ds.meta(0), ds.episode(0).data
    assert meta["success"] is True and meta["source"] == "teleop" and meta["seed"] == 0
    assert bool(data["next.success"][-1])
    assert data["next.subtask_signals"][:, 0].any()  # "grasped" fired on the way
    assert data["action"][:, 6].max() == 1.0  # space closed the gripper
    assert main(["replay", str(tmp_path / "a")]) == 0  # it retraces in the sim (the profile read from teleop.json)
    gen = tmp_path / "generated"  # and generation multiplies it, as a collected demo
    assert main(["generate", "--source", str(tmp_path / "a"), "--out", str(gen), "--num", "3", "--workers", "1"]) == 0
    assert len(Dataset(gen)) == 3


def test_a_rerun_continues_the_dataset_and_other_settings_are_refused(lift_script, tmp_path, capsys):
    out = str(tmp_path / "demos")
    argv = ["teleop", "--device", f"script:{lift_script}", "--out", out, "--keep-failures", "--max-steps", "60"]
    assert main([*argv, "--episodes", "1"]) == 0
    assert main([*argv, "--episodes", "2"]) == 0  # the script drives one more episode, from the next seed
    assert [Dataset(out).meta(i)["seed"] for i in range(2)] == [0, 1]
    before = _files(Path(out))
    capsys.readouterr()
    assert main([*argv, "--episodes", "3", "--seed", "5"]) == 1
    assert "seed=0" in capsys.readouterr().err
    assert _files(Path(out)) == before


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"step": 0, "key": "x", "down": true}', "key='x' is not in the teleop key map"),
        ('{"step": -1, "key": "w", "down": true}', "step=-1"),
        ('{"step": 0, "key": "w"}', "down=None"),
        ('{"step": 0, "command": "save"}', "command='save'"),
        ("[1, 2]", "expected a JSON object"),
        ("{", "not JSON"),
        ('{"step": 0, "pad": {"axes": [0, 2]}}', "pad.axes=[0, 2]"),
        ('{"step": 0, "pad": {"axes": [0], "buttons": [1]}}', "pad.buttons=[1]"),
        ('{"step": 0, "key": "w", "down": true, "command": "keep"}', "one of 'key'"),
        ('{"step": 0, "tilt": {"beta": "up", "gamma": 0}}', "tilt beta='up'"),
        ('{"step": 0, "mouse": {"axes": [0, 0]}}', "mouse.axes has 2 values"),
        ('{"step": 0, "mouse": {"axes": [0, 0, 0, 0, 0, 3]}}', "mouse.axes=[0, 0, 0, 0, 0, 3]"),
    ],
)
def test_a_bad_event_is_one_line_naming_the_line_and_nothing_is_written(tmp_path, capsys, line, message):
    script = tmp_path / "events.jsonl"
    script.write_text('{"step": 0, "key": "w", "down": true}\n' + line + "\n")
    assert main(["teleop", "--device", f"script:{script}", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{script}:2" in err and message in err, err
    assert not (tmp_path / "out").exists()
    with pytest.raises(ConfigError, match="events.jsonl:2"):  # the Python API refuses it too
        TeleopConfig(device=f"script:{script}")


@pytest.mark.parametrize(
    ("field", "value"),
    [("device", "joystick"), ("host", "example.com"), ("speed", 0.0), ("port", 70000), ("cameras", ("top",))],
)
def test_the_config_refuses_bad_settings(field, value):
    with pytest.raises(ConfigError, match=f"TeleopConfig.{field}"):
        TeleopConfig(**{field: value})


def test_keys_held_tapped_fine_and_the_gripper_toggle():
    keys = KeyState(speed=0.4, rot_speed=0.2)
    assert keys.action().tolist() == [0, 0, 0, 0, 0, 0, -1]  # nothing held, gripper open
    keys.press("w", True)
    keys.press("w", False)  # a tap between two steps still moves one step
    assert keys.action()[0] == pytest.approx(0.4)
    assert keys.action()[0] == 0.0
    keys.press("W", True)  # shift+w arrives as "W": the same key
    keys.press("Shift", True)
    keys.press("u", True)
    np.testing.assert_allclose(keys.action()[[0, 5]], [0.1, 0.05])
    keys.press(" ", True)
    keys.press(" ", True)  # auto-repeat of a held space: still one toggle
    assert keys.action()[6] == 1.0
    keys.press(" ", False)
    keys.press(" ", True)
    assert keys.action()[6] == -1.0


def test_the_page_receives_the_python_key_map():
    """One source of truth: page.html holds no key letters of its own, it is sent KEYMAP."""
    from demoforge.augment.teleop import server

    page = (Path(server.__file__).parent / "page.html").read_text()
    assert "KEYMAP" not in page and '"w"' not in page and "'w'" not in page
    hello = json.loads(server.hello_message(TeleopConfig(), kept=0, signals=["grasped", "lifted"]))
    assert set(hello["keys"]) >= {"w", "s", " ", "shift"}


def test_the_action_is_the_action_spaces_float32_so_what_is_recorded_is_what_stepped():
    # A float64 0.3 × 0.25 stepped the sim while the recorder stored its float32: a teleop episode
    # then diverged from its own replay (by 2e-6 at frame 75 of the CI's pilot run).
    from demoforge.envs import make_task_env

    keys = KeyState(speed=0.3, rot_speed=0.2)
    keys.press("shift", True)
    keys.press("w", True)
    action = keys.action()
    env = make_task_env("Lift")
    assert action.dtype == env.action_space.dtype
    assert np.array_equal(action, np.asarray(action, np.float32))
    env.close()


def test_a_gamepad_moves_and_grips_as_keys_do():
    keys = KeyState(speed=0.4, rot_speed=0.2)
    keys.pad([0.05, -1.0, 0.0, 0.5], [False])  # left stick forward (its resting 0.05 is inside the deadzone)
    np.testing.assert_allclose(keys.action(), [0.4, 0, -0.2, 0, 0, 0, -1])
    keys.pad([0, 0, 0, 0], [True])  # A down closes; held, it does not toggle again
    keys.pad([0, 0, 0, 0], [True])
    assert keys.action().tolist() == [0, 0, 0, 0, 0, 0, 1]
    keys.pad([0, 0, 0, 0], [False])
    keys.pad([0, 0, 0, 0], [True])
    assert keys.action()[6] == -1


def test_a_scripted_gamepad_drives_the_arm(tmp_path):
    script = tmp_path / "pad.jsonl"
    script.write_text('{"step": 0, "pad": {"axes": [0, -1, 0, 0], "buttons": [true]}}\n')
    out = tmp_path / "demos"
    config = ["--device", f"script:{script}", "--keep-failures", "--max-steps", "10", "--cameras"]
    assert main(["teleop", *config, "--episodes", "1", "--out", str(out)]) == 0
    data = Dataset(out).episode(0).data
    np.testing.assert_allclose(data["action"][:, :2], [[0.3, 0.0]] * 10)  # forward at --speed 0.3
    assert (data["action"][:, 6] == 1).all()
    x = data["datagen.eef_pose"][:, 0]
    assert x[-1] - x[0] > 0.05  # it moved forward


def test_a_scripted_phone_tilt_and_spacemouse_drive_the_arm(tmp_path):
    script = tmp_path / "devices.jsonl"
    events = [
        {"step": 0, "tilt": {"beta": 40, "gamma": 0}},  # neutral
        {"step": 1, "tilt": {"beta": 10, "gamma": 0}},  # tipped away: forward at full speed
        {"step": 6, "tilt": None},  # tilting off: it stops
        {"step": 8, "mouse": {"axes": [-1, 0, 0, 0, 0, 0], "buttons": [True, False]}},  # cap left, grip
    ]
    script.write_text("".join(json.dumps(e) + "\n" for e in events))
    out = tmp_path / "demos"
    config = ["--device", f"script:{script}", "--keep-failures", "--max-steps", "12", "--cameras"]
    assert main(["teleop", *config, "--episodes", "1", "--out", str(out)]) == 0
    action = Dataset(out).episode(0).data["action"]
    np.testing.assert_allclose(action[:, 0], [0] + [0.3] * 5 + [0] * 6)
    np.testing.assert_allclose(action[:, 1], [0] * 8 + [0.3] * 4)  # the cap pushed left: +y
    np.testing.assert_array_equal(action[:, 6], [-1] * 8 + [1] * 4)
