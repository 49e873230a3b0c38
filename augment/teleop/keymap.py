"""The one keyboard map of `demoforge teleop` (and the gamepad's, SpaceMouse's and phone tilt's
axes), and the held-key state that turns device events into `ee_delta` actions. The web page and the script device both send raw key events (`w` down, `w` up)
and this module alone decides what they do, so a scripted episode presses the same keys a person
does and the page never carries a second copy of the map (it receives `KEYMAP` on connecting).

Axes are in the world frame the env's `ee_delta` action uses (envs/control.py): +x away from the
robot base, +y to its left, +z up. Rotation keys turn the TCP about the world axes."""

from __future__ import annotations

import numpy as np

from ...envs.control import EE_DELTA_DIM

# key → (action index, sign); indices 0-2 translate, 3-5 rotate (envs/control.py's ee_delta layout).
KEYMAP: dict[str, tuple[int, int]] = {
    "w": (0, +1),
    "s": (0, -1),
    "a": (1, +1),
    "d": (1, -1),
    "r": (2, +1),
    "f": (2, -1),
    "j": (3, +1),
    "l": (3, -1),
    "i": (4, +1),
    "k": (4, -1),
    "u": (5, +1),
    "o": (5, -1),
}
GRIPPER_KEY = " "  # toggles open ↔ closed on key down (holding a key to keep the grip closed tires a hand)
FINE_KEY = "shift"  # held: every motion at FINE_SCALE, for the last centimetres of a grasp
FINE_SCALE = 0.25
KEYS = (*KEYMAP, GRIPPER_KEY, FINE_KEY)

# A gamepad in the browser Gamepad API's "standard" layout: axis → (action index, sign). Sticks read
# +1 right and +1 down, so pushing the left stick forward is +x and to the left +y; the right stick
# moves up/down and turns about z. Button 0 (A / cross) toggles the gripper, as space does.
PAD_AXES: dict[int, tuple[int, int]] = {1: (0, -1), 0: (1, -1), 3: (2, -1), 2: (5, -1)}
PAD_GRIPPER_BUTTON = 0
PAD_DEADZONE = 0.15  # worn sticks rest a little off centre; below this an axis reads 0

# A 3Dconnexion SpaceMouse read with pyspacemouse's HID_Z_UP convention (x right, y away from the
# user, z up; roll, pitch, yaw about those axes), each in [-1, 1], the user facing the way the robot
# reaches: axis index → (action index, sign). Pushing the cap away is +x, right −y, lifting it up;
# turning it turns the TCP about the matching world axis. Left button: gripper; right: keep.
MOUSE_AXES: dict[int, tuple[int, int]] = {1: (0, +1), 0: (1, -1), 2: (2, +1), 4: (3, +1), 3: (4, -1), 5: (5, +1)}
MOUSE_GRIPPER_BUTTON, MOUSE_KEEP_BUTTON = 0, 1
MOUSE_DEADZONE = 0.1  # the cap springs back to within a few % of centre; a resting hand adds some

# A phone's tilt (the DeviceOrientation event's angles, degrees) from the pose it was held in when
# "tilt to move" was enabled: angle → (action index, sign). beta grows as the top edge comes up
# towards the user and gamma as the right edge goes down, so tipping the phone away moves +x
# (forward, as w) and tipping it right −y (right, as d). The page sends the raw angles; only here
# are they mapped.
TILT_AXES: dict[str, tuple[int, int]] = {"beta": (0, -1), "gamma": (1, -1)}
TILT_FULL = 30.0  # degrees of tilt for full speed: a wrist turns ±30° comfortably
TILT_DEADZONE = 5.0  # degrees: a hand holding a phone "still" wavers by a few

HELP = {
    "w / s": "forward / back (+x / −x)",
    "a / d": "left / right (+y / −y)",
    "r / f": "up / down",
    "j / l, i / k, u / o": "roll, pitch, yaw",
    "space": "close / open the gripper",
    "shift (held)": "fine motion (¼ speed)",
    "gamepad: left stick": "forward / back, left / right",
    "gamepad: right stick": "up / down, yaw",
    "gamepad: A (cross)": "close / open the gripper",
    "phone: tilt to move": "tip away / towards you, left / right (from the pose at enabling)",
}


class UnknownKey(ValueError):
    """A key event names a key the map does not hold."""


def normalize_key(key: str) -> str:
    """The map's name of a key as a browser's `KeyboardEvent.key` or an events file spells it:
    letters lower-cased (shift+w arrives as "W"), "Shift" → "shift"."""
    return key if key == GRIPPER_KEY else key.lower()


class KeyState:
    """Keys held now, plus keys pressed since the last step: a tap shorter than one control period
    (50 ms at 20 Hz) still moves the arm one step rather than being lost between two steps."""

    def __init__(self, speed: float, rot_speed: float):
        self.speed, self.rot_speed = speed, rot_speed
        self.held: set[str] = set()
        self.tapped: set[str] = set()
        self.gripper = -1.0  # open: the env's gripper command, −1 open … +1 closed
        self.axes: tuple[float, ...] = ()
        self.pad_grip = False
        self.mouse_axes: tuple[float, ...] = ()
        self.mouse_grip = False
        self.tilt_zero: dict[str, float] | None = None  # the phone's pose when tilt was enabled
        self.tilt_now: dict[str, float] = {}

    def press(self, key: str, down: bool) -> None:
        key = normalize_key(key)
        if key not in KEYS:
            raise UnknownKey(f"key {key!r} is not in the teleop key map ({', '.join(map(repr, KEYS))})")
        if not down:
            self.held.discard(key)
            return
        if key == GRIPPER_KEY and key not in self.held:  # auto-repeat of a held space toggles once
            self.gripper = -self.gripper
        self.held.add(key)
        self.tapped.add(key)

    def pad(self, axes, buttons) -> None:
        """A gamepad's state (the Gamepad API's `axes` and `buttons[i].pressed`): it holds until the
        next one, as a held key does."""
        axes = tuple(float(a) for a in axes)
        if not all(-1.0 <= a <= 1.0 for a in axes):
            raise UnknownKey(f"gamepad axes {axes} outside [-1, 1]")
        self.axes = axes
        grip = len(buttons) > PAD_GRIPPER_BUTTON and bool(buttons[PAD_GRIPPER_BUTTON])
        if grip and not self.pad_grip:
            self.gripper = -self.gripper
        self.pad_grip = grip

    def mouse(self, axes, buttons) -> None:
        """A SpaceMouse's reading (6 axes in [-1, 1], buttons): it holds until the next one."""
        axes = tuple(float(a) for a in axes)
        if len(axes) != 6 or not all(-1.0 <= a <= 1.0 for a in axes):
            raise UnknownKey(f"SpaceMouse axes {axes}: expected 6 values in [-1, 1]")
        self.mouse_axes = axes
        grip = len(buttons) > MOUSE_GRIPPER_BUTTON and bool(buttons[MOUSE_GRIPPER_BUTTON])
        if grip and not self.mouse_grip:
            self.gripper = -self.gripper
        self.mouse_grip = grip

    def tilt(self, angles: dict | None) -> None:
        """A phone's orientation (`{"beta": .., "gamma": ..}`, degrees, as DeviceOrientation gives
        them), or None to stop tilting. The first reading after None is the neutral pose: the
        phone moves the arm by how far it is tipped from there, however it was held."""
        if angles is None:
            self.tilt_zero, self.tilt_now = None, {}
            return
        reading = {}
        for name in TILT_AXES:
            value = angles.get(name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not -180.0 <= value <= 180.0:
                raise UnknownKey(f"tilt {name}={value!r}, expected degrees in [-180, 180]")
            reading[name] = float(value)
        if self.tilt_zero is None:
            self.tilt_zero = reading
        self.tilt_now = reading

    def tilt_values(self) -> dict[str, float]:
        """Each tilt angle's offset from the neutral pose as a fraction of full speed, in [-1, 1],
        0 inside the deadzone."""
        if self.tilt_zero is None:
            return {}
        out = {}
        for name, value in self.tilt_now.items():
            delta = (value - self.tilt_zero[name] + 180.0) % 360.0 - 180.0  # beta wraps at ±180
            out[name] = 0.0 if abs(delta) < TILT_DEADZONE else max(-1.0, min(1.0, delta / TILT_FULL))
        return out

    def release_all(self) -> None:
        """Nothing held (the page lost focus: its key-up events will not come)."""
        self.held.clear()
        self.tapped.clear()
        self.axes = ()
        if self.tilt_zero is not None:  # a phone tilted when the page went away stops; re-zeroed on return
            self.tilt(None)

    def action(self) -> np.ndarray:
        """This step's ee_delta action (EE_DELTA_DIM,) float32, and forget the taps it used.

        float32 is the action space's dtype and what the recorder stores: a float64 action (0.3 ×
        0.25 is not a float32) would step the sim with one value and record another, and the
        episode would not replay."""
        active = self.held | self.tapped
        self.tapped = set()
        action = np.zeros(EE_DELTA_DIM, np.float32)
        for key in active & KEYMAP.keys():
            index, sign = KEYMAP[key]
            action[index] += sign * (self.speed if index < 3 else self.rot_speed)
        for axis, (index, sign) in PAD_AXES.items():
            value = self.axes[axis] if axis < len(self.axes) else 0.0
            if abs(value) > PAD_DEADZONE:
                action[index] += sign * value * (self.speed if index < 3 else self.rot_speed)
        for axis, (index, sign) in MOUSE_AXES.items():
            value = self.mouse_axes[axis] if self.mouse_axes else 0.0
            if abs(value) > MOUSE_DEADZONE:
                action[index] += sign * value * (self.speed if index < 3 else self.rot_speed)
        for name, value in self.tilt_values().items():
            index, sign = TILT_AXES[name]
            action[index] += sign * value * self.speed
        if FINE_KEY in active:
            action[:6] *= FINE_SCALE
        action[6] = self.gripper
        return np.clip(action, -1.0, 1.0)
