"""A Lift pilot that presses keys as a person would, from the TCP and cube positions the page
shows: line up above the cube, go down, close, lift. The script-device test records its key
events once and replays them; the browser test presses them in the page.

In the browser the page answers keys a few steps late (2–5 at 20 Hz when CI's two test workers load
the machine), so, like a person, the pilot slows down near its goal, taps the last millimetres
one step at a time and watches the arm stop before the next tap, and opens and tries again when
a lift leaves the cube behind."""

from __future__ import annotations

AXES = (("w", "s"), ("a", "d"), ("r", "f"))
HOVER = 0.06  # m above the cube centre before going down
DEADBAND = 0.004  # m: half a fine step (shift: 0.25 × 1.5 cm) plus some, so it does not oscillate
FAR = 0.08  # m: farther than this, hold the keys at full speed (1.5 cm a step)...
FINE = 0.02  # ...nearer than FAR, hold them with shift (4 mm a step); nearer than FINE, tap and watch
STOPPED = 0.0005  # m the TCP moved since the last frame: below it, the arm has stopped
TAP_WAIT = 12  # frames at most to wait for a tap's move to show (the page lags), then to stop
CLOSE_STEPS = 8  # the fingers take ~0.3 s to close on the cube
LIFT_CHECK = 20  # lift steps after which the cube must have risen with the hand...
RISEN = 0.02  # ...by this much (m), or the grasp missed: open and try again


class LiftPilot:
    def __init__(self):
        self.phase, self.since, self.cube_z = "hover", 0, 0.0
        self.last_tcp, self.retries = None, 0
        self.tap_seen, self.tap_wait = False, 0  # whether the last tap's move has shown; frames left

    def _enter(self, phase: str, step: int) -> None:
        self.phase, self.since = phase, step

    def keys(self, step: int, tcp, cube) -> set[str]:
        """The keys to hold during `step`, given the TCP and cube positions (m) before it."""
        moving = self.last_tcp is not None and max(abs(a - b) for a, b in zip(tcp, self.last_tcp)) > STOPPED
        self.last_tcp = list(tcp)
        if self.phase == "close":
            if step - self.since >= CLOSE_STEPS:
                self._enter("lift", step)
            return {" "}
        if self.phase == "lift":
            if step - self.since >= LIFT_CHECK and cube[2] - self.cube_z < RISEN:
                self.retries += 1
                self._enter("reopen", step)
                return {"r"}  # space up, so the next press toggles the gripper
            return {" ", "r"}
        if self.phase == "reopen":  # space toggles: press it once more to open, then line up again
            self._enter("hover", step)
            return {" ", "r"}
        target = [cube[0], cube[1], cube[2] + (HOVER if self.phase == "hover" else 0.0)]
        err = [t - p for t, p in zip(target, tcp)]
        keys = {plus if e > 0 else minus for (plus, minus), e in zip(AXES, err) if abs(e) >= DEADBAND}
        if max(abs(e) for e in err) >= FAR:
            return keys
        if max(abs(e) for e in err) >= FINE:
            return keys | {"shift"}
        if self.tap_wait > 0:  # near: let the last tap play out, however late the page shows it
            self.tap_wait -= 1
            self.tap_seen |= moving
            if not self.tap_seen or moving:
                return set()
            self.tap_wait = 0
        elif moving:  # the slow approach is still coasting
            return set()
        if all(abs(e) < DEADBAND for e in err):
            if self.phase == "hover":
                self._enter("descend", step)
                return set()
            self._enter("close", step)
            self.cube_z = cube[2]
            return {" "}
        self.tap_seen, self.tap_wait = False, TAP_WAIT
        return keys | {"shift"}


def key_events(held: set[str], wanted: set[str], step: int) -> list[dict]:
    """The key events that turn the `held` keys into the `wanted` ones before `step`."""
    events = [{"step": step, "key": k, "down": False} for k in sorted(held - wanted)]
    return events + [{"step": step, "key": k, "down": True} for k in sorted(wanted - held)]
