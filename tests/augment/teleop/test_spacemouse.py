"""`demoforge teleop --device spacemouse`: the six axes and two buttons mapped to ee_delta actions,
and a whole Lift episode driven by a fake SpaceMouse (the test pilot's keys as cap pushes), kept
with the right button; a missing library or device is one line (issue 39)."""

import io
import sys

import numpy as np
import pytest
from demoforge.augment.data.dataset import Dataset
from demoforge.augment.data.writer import DatasetWriter
from demoforge.augment.teleop import TeleopConfig
from demoforge.augment.teleop.keymap import KeyState
from demoforge.augment.teleop.session import ENDED, TeleopSession
from demoforge.augment.teleop.spacemouse import Reading, drive_spacemouse
from demoforge.train.cli.main import main
from pilot import LiftPilot

# The pilot's keys as the cap's axes (HID_Z_UP: x right, y away from the user, z up).
KEY_AXES = {"w": (1, +1), "s": (1, -1), "a": (0, -1), "d": (0, +1), "r": (2, +1), "f": (2, -1)}


def test_the_caps_axes_and_buttons():
    keys = KeyState(speed=0.4, rot_speed=0.2)
    keys.mouse([0.05, 1.0, -0.5, 0.0, 0.0, 1.0], [False, False])  # 0.05: inside the deadzone
    np.testing.assert_allclose(keys.action(), [0.4, 0, -0.2, 0, 0, 0.2, -1])
    keys.mouse([-1.0, 0, 0, 0.5, 0.5, 0], [True, False])  # left; roll, pitch; the left button grips
    np.testing.assert_allclose(keys.action(), [0, 0.4, 0, 0.1, -0.1, 0, 1])
    keys.mouse([0] * 6, [True, False])  # still held: no second toggle
    assert keys.action()[6] == 1


class FakeSpaceMouse:
    """Reads what the pilot would press, from the session the test drives (its TCP and cube)."""

    def __init__(self, session: TeleopSession):
        self.session, self.pilot = session, LiftPilot()

    def read(self) -> Reading:
        if self.session.state == ENDED:
            return Reading((0.0,) * 6, (False, True))  # the right button: keep
        view = self.session.view(images=False)
        keys = self.pilot.keys(view.step, view.tcp, view.objects["cube"])
        axes = [0.0] * 6
        for key in keys & KEY_AXES.keys():
            axis, sign = KEY_AXES[key]
            axes[axis] = sign * (0.25 if "shift" in keys else 1.0)  # a gentle push for fine motion
        return Reading(tuple(axes), (" " in keys, False))

    def close(self) -> None:
        pass


def test_a_fake_spacemouse_lifts_the_cube_and_keeps_the_episode(tmp_path):
    config = TeleopConfig(device="spacemouse", episodes=1, cameras=())
    features, fps, _robot = TeleopSession.features(config)
    with DatasetWriter.create(tmp_path / "demos", features, fps=fps) as writer:
        session = TeleopSession(config, writer, 0, 0)
        mouse = FakeSpaceMouse(session)
        drive_spacemouse(session, mouse, out=io.StringIO(), realtime=False)
        session.close()
    assert session.kept == 1
    ds = Dataset(tmp_path / "demos")
    assert len(ds) == 1 and ds.meta(0)["success"] is True
    data = ds.episode(0).data
    assert data["action"][:, 6].max() == 1.0 and data["next.subtask_signals"][:, 0].any()


def test_no_spacemouse_library_or_device_is_one_line_and_nothing_is_written(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspacemouse", None)  # not installed
    assert main(["teleop", "--device", "spacemouse", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install demoforge[spacemouse]" in err, err
    assert not (tmp_path / "out").exists()


def test_the_config_takes_the_new_devices():
    assert TeleopConfig(device="spacemouse").device == "spacemouse"
    with pytest.raises(ValueError, match="'terminal'"):
        TeleopConfig(device="keyboard")
