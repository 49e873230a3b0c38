"""The SpaceMouse device (`demoforge teleop --device spacemouse`): a 3Dconnexion SpaceMouse read
through `pyspacemouse` (a maintained HID library, the `spacemouse` extra; it needs the system's
hidapi library), for a person at the machine. Its six axes are end-effector velocities, mapped in
`keymap.py` (MOUSE_AXES) beside the keys and the gamepad; the left button toggles the gripper, the
right one keeps an ended episode (one that may not be kept is discarded). No display is needed: a
status line shows the step, the TCP and the signals, as the terminal device does.

The reading sits behind `MouseReader` (`read() -> Reading`, `close()`), so a fake device that yields
readings drives the same loop in the tests."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Protocol, TextIO

from ...envs import ConfigError
from .keymap import MOUSE_KEEP_BUTTON
from .session import ENDED, TeleopSession
from .terminal_device import status_line

HELP_LINE = (
    "SpaceMouse: push / lift / turn the cap to move; left button grips, right keeps an ended episode; Ctrl+C stops"
)


@dataclass(frozen=True)
class Reading:
    axes: tuple[float, float, float, float, float, float]  # x, y, z, roll, pitch, yaw in [-1, 1] (HID_Z_UP)
    buttons: tuple[bool, ...] = ()


class MouseReader(Protocol):
    def read(self) -> Reading: ...

    def close(self) -> None: ...


class PySpaceMouse:
    """The first SpaceMouse pyspacemouse finds, read without blocking (its latest state)."""

    def __init__(self):
        try:
            import pyspacemouse
        except ImportError as exc:  # pyspacemouse, or easyhid's system hidapi library
            raise ConfigError(
                f"--device spacemouse needs `pip install demoforge[spacemouse]` and the hidapi library "
                f"(apt-get install libhidapi-hidraw0; brew install hidapi) ({exc})"
            ) from None
        try:
            self.device = pyspacemouse.open(axis_convention=pyspacemouse.AxisConvention.HID_Z_UP)
        except Exception as exc:  # pyspacemouse raises RuntimeError / ValueError / OSError, easyhid its own
            raise ConfigError(
                f"--device spacemouse: no SpaceMouse opened ({exc}); plug one in (on Linux your user needs "
                "read access to its /dev/hidraw*, e.g. a udev rule)"
            ) from None

    def read(self) -> Reading:
        s = self.device.read()
        return Reading((s.x, s.y, s.z, s.roll, s.pitch, s.yaw), tuple(bool(b) for b in s.buttons))

    def close(self) -> None:
        self.device.close()


def open_spacemouse() -> MouseReader:
    return PySpaceMouse()


def drive_spacemouse(
    session: TeleopSession, reader: MouseReader, out: TextIO | None = None, realtime: bool = True
) -> None:
    """Run `session` from `reader` until it has its episodes, one reading per control step
    (`realtime=False`: as fast as it steps, for a fake device). The caller closes `reader`."""
    out = out or sys.stdout
    period = 1.0 / session.base.config.control_hz
    out.write(HELP_LINE + "\n")
    keep_down = False
    tick = time.monotonic()
    while not session.done:
        reading = reader.read()
        session.mouse(reading.axes, reading.buttons)
        keep = len(reading.buttons) > MOUSE_KEEP_BUTTON and reading.buttons[MOUSE_KEEP_BUTTON]
        if keep and not keep_down and session.state == ENDED:
            if not session.keep():
                session.discard()
        keep_down = keep
        session.step()
        if not session.done:
            out.write("\r\x1b[K" + status_line(session))
            out.flush()
        if realtime:
            tick = max(tick + period, time.monotonic() - period)
            time.sleep(max(0.0, tick - time.monotonic()))
    out.write("\n")
