"""A Lift pilot that presses keys as a person would, from the TCP and cube positions the page
shows: line up above the cube, go down, close, lift. The script-device test records its key
events once and replays them; the browser test presses them in the page."""

from __future__ import annotations

AXES = (("w", "s"), ("a", "d"), ("r", "f"))
HOVER = 0.06  # m above the cube centre before going down
DEADBAND = 0.004  # m: half a fine step (shift: 0.25 × 1.5 cm) plus some, so it does not oscillate


class LiftPilot:
    def __init__(self):
        self.phase, self.closed_at = "hover", None

    def keys(self, step: int, tcp, cube) -> set[str]:
        """The keys to hold during `step`, given the TCP and cube positions (m) before it."""
        if self.phase == "close":
            if step - self.closed_at >= 8:  # the fingers take ~0.3 s to close on the cube
                self.phase = "lift"
            return {" "}
        if self.phase == "lift":
            return {" ", "r"}
        target = [cube[0], cube[1], cube[2] + (HOVER if self.phase == "hover" else 0.0)]
        err = [t - p for t, p in zip(target, tcp)]
        if all(abs(e) < DEADBAND for e in err):
            if self.phase == "hover":
                self.phase = "descend"
            else:
                self.phase, self.closed_at = "close", step
                return {" "}
        keys = {plus if e > 0 else minus for (plus, minus), e in zip(AXES, err) if abs(e) >= DEADBAND}
        if max(abs(e) for e in err) < 0.02:
            keys.add("shift")
        return keys


def key_events(held: set[str], wanted: set[str], step: int) -> list[dict]:
    """The key events that turn the `held` keys into the `wanted` ones before `step`."""
    events = [{"step": step, "key": k, "down": False} for k in sorted(held - wanted)]
    return events + [{"step": step, "key": k, "down": True} for k in sorted(wanted - held)]
