"""`teleop(config, out)`: record demos by hand into a dataset, from the device `config.device`
names. The dataset is created (or, after a kill, continued) under the folder's lock, as
`demoforge collect` does; only the device differs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ...envs import ConfigError
from ..data.lock import exclusive
from ..data.record import resume_point
from ..data.writer import DatasetWriter
from .config import TeleopConfig
from .session import SIDECAR, TeleopSession


def teleop(config: TeleopConfig, out: str | Path, on_ready: Callable[[str], None] | None = None) -> dict:
    """Drive `config.task` from `config.device` and keep episodes in the dataset at `out` until it
    holds `config.episodes` (a script device stops at the end of its events). `on_ready(url)` is
    called once the web page is served. Returns {"episodes": kept in total, "attempts": this run's}."""
    out = Path(out)
    with exclusive(out, "demoforge teleop", {SIDECAR}):
        resume = resume_point(out, config, SIDECAR, "demoforge teleop")
        if resume is None:
            features, fps = TeleopSession.features(config)
            writer = DatasetWriter.create(out, features, fps=fps, sidecars={SIDECAR: config.identity()})
            kept, seed = 0, config.seed
        else:
            writer = DatasetWriter.append(out)
            kept, seed = resume
        with writer:
            if config.script_path:
                from .script_device import drive, load_events

                session = TeleopSession(config, writer, kept, seed)
                try:
                    drive(session, load_events(config.script_path))
                finally:
                    session.close()
            else:
                try:
                    from .server import serve
                except ImportError as exc:  # websockets / Pillow: the `teleop` extra
                    raise ConfigError(f"the web device needs `pip install demoforge[teleop]` ({exc})") from None

                session = serve(config, lambda: TeleopSession(config, writer, kept, seed), on_ready)
        return {"episodes": session.kept, "attempts": session.attempts}
