"""The terminal device (`demoforge teleop --device terminal`): keys read from the terminal the
command runs in, for a person at the machine or over ssh; no display is needed (there is no camera
view, a status line shows the step, the TCP and the subtask signals as they fire).

A terminal sends a key's character when it goes down and again at every auto-repeat while it is
held, but never says when it comes up. So a key counts as held for `hold_s` after its last
character: a tap moves the arm for that long, a held key moves it steadily once auto-repeat begins
(after the keyboard's repeat delay, 250–660 ms; `xset r rate 200 30` shortens it under X), and a
released key stops `hold_s` after its last repeat. The default, 150 ms, covers the slowest usual
repeat interval (the Linux console's 92 ms) with margin. An upper-case letter is shift + the key
(fine motion). The key map is `keymap.KEYMAP`, as in the web page; Enter keeps an ended episode,
x discards the episode (ended or not).

It reads the terminal with the standard library (termios/tty in cbreak mode, `select` to poll):
the maintained key-reading libraries (readchar, blessed) block in a read until a key comes, and a
control loop at 20 Hz must step whether or not one did."""

from __future__ import annotations

import os
import select
import sys
import termios
import time
import tty
from typing import TextIO

from ...envs import ConfigError
from .keymap import FINE_KEY, GRIPPER_KEY, KEYMAP
from .session import ENDED, READY, RUNNING, TeleopSession

KEEP_CHARS = ("\r", "\n")
DISCARD_CHAR = "x"  # not in KEYMAP
HELP_LINE = (
    "keys: w/s a/d r/f move (upper case: fine), j/l i/k u/o turn, space grips; Enter keeps, x discards, Ctrl+C stops"
)


class TerminalKeys:
    """Characters from a terminal → key events (key, down), with the held-key rule above."""

    def __init__(self, hold_s: float):
        self.hold_s = hold_s
        self.last: dict[str, float] = {}  # held key → time of its last character

    def feed(self, char: str, now: float) -> list[tuple[str, bool]]:
        """The events one character makes: a down for a key not held yet (none for its repeats, so
        space toggles the gripper once however long it is held)."""
        key = GRIPPER_KEY if char == " " else char.lower()
        if key not in KEYMAP and key != GRIPPER_KEY:
            return []
        keys = [key, FINE_KEY] if char != key else [key]
        events = [(k, True) for k in keys if k not in self.last]
        for k in keys:
            self.last[k] = now
        return events

    def expire(self, now: float) -> list[tuple[str, bool]]:
        """Key-ups for the keys whose last character is older than `hold_s`."""
        gone = [k for k, t in self.last.items() if now - t > self.hold_s]
        for k in gone:
            del self.last[k]
        return [(k, False) for k in gone]

    def clear(self) -> None:
        self.last.clear()


def status_line(session: TeleopSession) -> str:
    view = session.view(images=False)
    signals = " ".join(f"{name}{'+' if on else '-'}" for name, on in view.signals.items())
    state = {READY: "ready (press a key)", RUNNING: "running", ENDED: "ended: Enter keeps, x discards"}[view.state]
    tcp = " ".join(f"{v:+.3f}" for v in view.tcp)
    return (
        f"kept {session.kept}/{session.config.episodes}  step {view.step}/{session.config.max_steps}  "
        f"tcp {tcp}  {signals}  {'SUCCESS ' if view.success else ''}{state}  {session.notice}"
    )


def drive_terminal(session: TeleopSession, fd: int | None = None, out: TextIO | None = None) -> None:
    """Run `session` from the keys of the terminal on `fd` (stdin) until it has its episodes,
    writing the status line to `out` (stdout) after every step."""
    fd = sys.stdin.fileno() if fd is None else fd
    out = out or sys.stdout
    if not os.isatty(fd):
        raise ConfigError("--device terminal reads keys from a terminal, and stdin is not one (use --device web)")
    keys = TerminalKeys(session.config.key_hold_ms / 1000.0)
    period = 1.0 / session.base.config.control_hz
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)  # characters arrive as typed and unechoed; Ctrl+C still stops the command
    out.write(HELP_LINE + "\n")
    try:
        tick = time.monotonic()
        while not session.done:
            while select.select([fd], [], [], 0)[0]:
                data = os.read(fd, 1024).decode(errors="ignore")
                if not data:
                    return  # the terminal closed
                for char in data:
                    if char in KEEP_CHARS or char == DISCARD_CHAR:
                        if char in KEEP_CHARS:
                            session.keep()  # refused while running or failed: the status line says why
                        else:
                            session.discard()
                        keys.clear()
                        continue
                    for key, down in keys.feed(char, time.monotonic()):
                        session.press(key, down)
            for key, down in keys.expire(time.monotonic()):
                session.press(key, down)
            session.step()
            if not session.done:
                out.write("\r\x1b[K" + status_line(session))
                out.flush()
            tick = max(tick + period, time.monotonic() - period)  # late: catch up by one step, no burst
            time.sleep(max(0.0, tick - time.monotonic()))
        out.write("\n")
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
