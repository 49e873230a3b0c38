"""The scripted device: a JSON Lines file of timed device events, replayed headlessly. It is how
every teleop path is tested without a person: the events are the ones the web page sends.

Each line is one object:

- `{"step": 12, "key": "w", "down": true}`: a key goes down (or up) before control step 12 of the
  episode is taken (keys: `keymap.KEYS`);
- `{"step": 30, "pad": {"axes": [0, -1, 0, 0], "buttons": [false]}}`: a gamepad's state from that
  step on (the browser Gamepad API's axes and buttons' `pressed`; `keymap.PAD_AXES` maps them);
- `{"step": 5, "tilt": {"beta": 20, "gamma": -10}}`: a phone's orientation (degrees; the first one is
  its neutral pose, `keymap.TILT_AXES` maps the tilt from it), `"tilt": null` stops tilting;
- `{"step": 8, "mouse": {"axes": [0, 1, 0, 0, 0, 0], "buttons": [false, false]}}`: a SpaceMouse's
  reading from that step on (`keymap.MOUSE_AXES`);
- `{"step": 90, "command": "reset"}`: end the episode there and discard it; `"keep"` / `"discard"`
  decide an episode once it has ended (without one, a success is kept and a failure is not).

`"episode": n` (default 0) places an event in the n-th episode the script drives (0, 1, …)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ...envs import ConfigError
from .keymap import KEYS, TILT_AXES, KeyState, UnknownKey, normalize_key

COMMANDS = ("keep", "discard", "reset")


@dataclass(frozen=True)
class Event:
    episode: int
    step: int
    key: str | None = None
    down: bool = True
    command: str | None = None
    axes: tuple[float, ...] | None = None  # a gamepad event
    buttons: tuple[bool, ...] = ()  # of a gamepad or SpaceMouse event
    tilt: dict[str, float] | None = None  # a phone's orientation...
    tilt_off: bool = False  # ...or tilting stopped
    mouse: tuple[float, ...] | None = None  # a SpaceMouse's six axes


def _int(where: str, obj: dict, name: str) -> int:
    value = obj.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{where}: {name}={value!r}, expected an integer >= 0")
    return value


def parse_event(where: str, line: str) -> Event:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where}: not JSON ({exc.msg})") from None
    if not isinstance(obj, dict):
        raise ConfigError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    unknown = set(obj) - {
        "episode",
        "step",
        "key",
        "down",
        "command",
        "pad",
        "tilt",
        "mouse",
        "t",
    }  # t: the page's timestamp
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    if "step" not in obj:
        raise ConfigError(f"{where}: missing 'step'")
    episode, step = _int(where, obj, "episode"), _int(where, obj, "step")
    if sum(name in obj for name in ("key", "command", "pad", "tilt", "mouse")) != 1:
        raise ConfigError(f"{where}: an event holds one of 'key' (with 'down'), 'pad', 'tilt', 'mouse' or 'command'")
    if "tilt" in obj:
        return _tilt_event(where, episode, step, obj["tilt"])
    if "mouse" in obj:
        pad = _pad_event(where, episode, step, obj["mouse"], "mouse")
        if len(pad.axes) != 6:
            raise ConfigError(f"{where}: mouse.axes has {len(pad.axes)} values, expected 6")
        return Event(episode, step, mouse=pad.axes, buttons=pad.buttons)
    if "pad" in obj:
        return _pad_event(where, episode, step, obj["pad"])
    if "command" in obj:
        if obj["command"] not in COMMANDS:
            raise ConfigError(f"{where}: command={obj['command']!r}; allowed: {', '.join(COMMANDS)}")
        return Event(episode, step, command=obj["command"])
    key, down = obj["key"], obj.get("down")
    if not isinstance(key, str) or normalize_key(key) not in KEYS:
        raise ConfigError(f"{where}: key={key!r} is not in the teleop key map ({', '.join(map(repr, KEYS))})")
    if not isinstance(down, bool):
        raise ConfigError(f"{where}: down={down!r}, expected true or false")
    return Event(episode, step, key=normalize_key(key), down=down)


def _pad_event(where: str, episode: int, step: int, pad, name: str = "pad") -> Event:
    axes = pad.get("axes") if isinstance(pad, dict) else None
    buttons = pad.get("buttons", []) if isinstance(pad, dict) else None
    numbers = isinstance(axes, list) and all(isinstance(a, int | float) and not isinstance(a, bool) for a in axes)
    if not numbers or not all(-1 <= a <= 1 for a in axes):
        raise ConfigError(f"{where}: {name}.axes={axes!r}, expected a list of numbers in [-1, 1]")
    if not isinstance(buttons, list) or not all(isinstance(b, bool) for b in buttons):
        raise ConfigError(f"{where}: {name}.buttons={buttons!r}, expected a list of true/false")
    return Event(episode, step, axes=tuple(float(a) for a in axes), buttons=tuple(buttons))


def _tilt_event(where: str, episode: int, step: int, tilt) -> Event:
    if tilt is None:
        return Event(episode, step, tilt_off=True)
    try:
        KeyState(1.0, 1.0).tilt(tilt if isinstance(tilt, dict) else {})
    except UnknownKey as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return Event(episode, step, tilt={name: float(tilt[name]) for name in TILT_AXES})


def load_events(path: str | Path) -> list[Event]:
    """The events of a script file in the order they apply (stable for equal steps); a bad line
    is one ConfigError naming the file and line."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"script device: {path} is not a file")
    events = []
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.strip():
                events.append(parse_event(f"{path}:{number}", line))
    if not events:
        raise ConfigError(f"script device: {path} holds no events")
    return sorted(events, key=lambda e: (e.episode, e.step))
