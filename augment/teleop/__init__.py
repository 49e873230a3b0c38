"""Recording demos by hand (`demoforge teleop`). `keymap.py` is the one key map and the held-key
state that makes `ee_delta` actions of key events; `session.py` steps the env and records with
`demoforge collect`'s recorder; the devices drive a session: a script (`script_device.py`, a file of
timed events, replayed headlessly by `run.py`), a web page (`server.py` + `page.html`, served
locally: keys, gamepad, a phone's tilt), keys in the terminal (`terminal_device.py`) and a SpaceMouse
(`spacemouse.py`). `annotate_server.py` + `annotate.html` serve `demoforge annotate --by-hand`.
`config.py` holds `TeleopConfig`, `run.py` the `teleop()` entry point."""

from .config import TeleopConfig
from .keymap import KEYMAP
from .run import teleop

__all__ = ["KEYMAP", "TeleopConfig", "teleop"]
