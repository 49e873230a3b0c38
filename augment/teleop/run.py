"""`teleop(config, out)`: record demos by hand into a dataset, from the device `config.device`
names. The dataset is created (or, after a kill, continued) under the folder's lock, as
`demoforge collect` does; only the device differs."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from ...envs import ConfigError
from ...envs.robots import DEFAULT_ROBOT
from ..data.lock import exclusive
from ..data.record import resume_point
from ..data.writer import DatasetWriter
from .config import SPACEMOUSE, TERMINAL, TeleopConfig
from .script_device import Event, load_events
from .session import ENDED, READY, RUNNING, SIDECAR, TeleopSession


def teleop(config: TeleopConfig, out: str | Path, on_ready: Callable[[str], None] | None = None) -> dict:
    """Drive `config.task` from `config.device` and keep episodes in the dataset at `out` until it
    holds `config.episodes` (a script device stops at the end of its events). `on_ready(url)` is
    called once the web page is served. Returns {"episodes": kept in total, "attempts": this run's}."""
    out = Path(out)
    reader = None  # a device at the machine is checked before anything is written
    if config.device == TERMINAL and not sys.stdin.isatty():
        raise ConfigError("--device terminal reads keys from a terminal, and stdin is not one (use --device web)")
    if config.device == SPACEMOUSE:
        from .spacemouse import open_spacemouse

        reader = open_spacemouse()
    try:
        return _record(config, out, on_ready, reader)
    finally:
        if reader is not None:
            reader.close()  # also when the dataset was refused before the device drove anything


def _record(config: TeleopConfig, out: Path, on_ready, reader) -> dict:
    with exclusive(out, "demoforge teleop", {SIDECAR}):
        resume = resume_point(out, config, SIDECAR, "demoforge teleop")
        if resume is None:
            features, fps, robot = TeleopSession.features(config)
            # Another robot's layout is recorded so generation and training refuse data it does not
            # fit; the default robot's recordings keep the bytes they had before robots could be chosen.
            layout = None if robot.name == DEFAULT_ROBOT else robot.layout()
            writer = DatasetWriter.create(
                out, features, fps=fps, robot_type=robot.name, sidecars={SIDECAR: config.identity()}, robot=layout
            )
            kept, seed = 0, config.seed
        else:
            writer = DatasetWriter.append(out)
            kept, seed = resume
        with writer:
            if config.script_path:
                session = TeleopSession(config, writer, kept, seed)
                try:
                    drive_script(session, load_events(config.script_path))
                finally:
                    session.close()
            elif config.device in (TERMINAL, SPACEMOUSE):
                session = TeleopSession(config, writer, kept, seed)
                try:
                    if config.device == TERMINAL:
                        from .terminal_device import drive_terminal

                        drive_terminal(session)
                    else:
                        from .spacemouse import drive_spacemouse

                        drive_spacemouse(session, reader)
                finally:
                    session.close()
            else:
                try:
                    from .server import serve
                except ImportError as exc:  # websockets / Pillow: the `teleop` extra
                    raise ConfigError(f"the web device needs `pip install demoforge[teleop]` ({exc})") from None

                session = serve(config, lambda: TeleopSession(config, writer, kept, seed), on_ready)
        return {"episodes": session.kept, "attempts": session.attempts}


def drive_script(session: TeleopSession, events: list[Event]) -> None:
    """Run `session` on a script's events until it has its episodes or the script has no more
    episodes: the same calls the web page's messages make, at fixed steps instead of real time."""
    by_episode: dict[int, list[Event]] = {}
    for event in events:
        by_episode.setdefault(event.episode, []).append(event)
    for episode in range(max(by_episode) + 1):
        if session.done:
            return
        pending = list(by_episode.get(episode, []))
        decision = None
        while session.state != ENDED:
            while pending and pending[0].step <= session.steps:
                event = pending.pop(0)
                if event.key is not None:
                    session.press(event.key, event.down)
                elif event.axes is not None:
                    session.pad(event.axes, event.buttons)
                elif event.mouse is not None:
                    session.mouse(event.mouse, event.buttons)
                elif event.tilt is not None or event.tilt_off:
                    session.tilt(event.tilt)
                elif event.command == "reset":
                    break  # skips the else below: the episode is dropped where it stands
                else:  # keep / discard apply once the episode has ended
                    decision = event.command
            else:
                if session.state == READY:  # a script starts its episode's clock at step 0
                    session.state = RUNNING
                session.step()
                continue
            session.discard()  # a reset command
            break
        else:
            decision = decision or next((e.command for e in pending if e.command in ("keep", "discard")), None)
            if decision is None:
                decision = "keep" if session.success or session.config.keep_failures else "discard"
            if decision == "keep" and session.keep():
                continue
            session.discard()
