"""`demoforge teleop --device terminal`: keys typed into a pseudo-terminal (no display, no person)
move the arm and keep / discard episodes; a terminal's missing key-ups are the hold rule's job
(issue 39)."""

import os
import subprocess
import sys
import threading
import time

from demoforge.augment.data.dataset import Dataset
from demoforge.augment.teleop.terminal_device import TerminalKeys
from demoforge.train.cli.main import main


def test_a_key_is_held_until_hold_s_after_its_last_repeat():
    keys = TerminalKeys(hold_s=0.15)
    assert keys.feed("w", 0.0) == [("w", True)]
    assert keys.feed("w", 0.1) == []  # an auto-repeat: still held, no second press
    assert keys.expire(0.2) == []  # 100 ms after the last repeat
    assert keys.expire(0.26) == [("w", False)]
    assert keys.feed("A", 1.0) == [("a", True), ("shift", True)]  # upper case: fine motion
    assert keys.feed("?", 1.0) == []  # not in the key map
    assert sorted(keys.expire(2.0)) == [("a", False), ("shift", False)]


class Terminal:
    """`demoforge teleop --device terminal` on a pseudo-terminal: type into it, read what it shows."""

    def __init__(self, args: list[str]):
        master, slave = os.openpty()
        cmd = [sys.executable, "-m", "demoforge.train.cli", "teleop", "--device", "terminal", *args]
        env = {**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
        self.proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
        os.close(slave)
        self.master, self.output = master, b""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                return
            if not chunk:
                return
            self.output += chunk

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.output.split(b"\r")[-1] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert text.encode() in self.output.split(b"\r")[-1], self.output[-400:]

    def hold(self, char: str, seconds: float) -> None:
        """Hold a key as a keyboard does: its character, then auto-repeats every 33 ms."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            os.write(self.master, char.encode())
            time.sleep(0.033)

    def type(self, chars: str) -> None:
        os.write(self.master, chars.encode())


def test_typed_keys_move_the_arm_and_enter_keeps_x_discards(tmp_path):
    out = tmp_path / "demos"
    term = Terminal(["--keep-failures", "--max-steps", "30", "--episodes", "1", "--cameras", "--out", str(out)])
    try:
        term.wait_for("ready (press a key)")
        term.hold("a", 0.5)  # left, then leave it to run out its 30 steps...
        term.wait_for("ended")
        term.type("x")  # ...and discard it
        term.wait_for("discarded")
        term.hold("w", 0.5)  # forward
        term.wait_for("ended")
        term.type("\r")
        assert term.proc.wait(timeout=60) == 0, term.output[-400:]
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
    ds = Dataset(out)
    assert len(ds) == 1 and ds.meta(0)["seed"] == 1  # the discarded attempt had seed 0
    data = ds.episode(0).data
    moving = data["action"][:, 0] > 0
    assert moving[:5].all() and not moving[-5:].any()  # held, then released: the arm stopped
    assert (data["action"][:, 1] == 0).all()
    x = data["datagen.eef_pose"][:, 0]
    assert x[-1] - x[0] > 0.05


def test_a_terminal_device_without_a_terminal_is_one_line_and_nothing_is_written(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", open(os.devnull))  # noqa: SIM115 (pytest closes it with the patch)
    assert main(["teleop", "--device", "terminal", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "stdin is not one" in err, err
    assert not (tmp_path / "out").exists()
