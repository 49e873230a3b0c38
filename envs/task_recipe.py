"""Reads a task file's `[[recipe]]` (its scripted expert's steps, built by recipe_expert.py) into
`RecipeStep`s, every key checked with the task file's one-line errors (file, line, dotted key).

The steps are checked as a sequence too: a pick, pull or push needs an empty gripper, and a place,
insert or thread moves the object the last pick holds, so a recipe that could never run is refused when the
file is read.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .task_spec import BodySpec, JointSpec, Link, RecipeStep
from .toml_checks import CheckedToml, shown

TARGET_KEY = {
    "place_on": "onto",
    "insert": "into",
    "thread": "through",
}  # the key that names where the held object goes
STEP_KEYS = {
    "pick": ("do", "object", "grasp", "approach", "lift"),
    "place_on": ("do", "object", "onto", "clear", "release", "align_yaw", "via", "retreat", "at"),
    "insert": ("do", "object", "into", "clear", "depth", "via", "retreat", "at"),
    # through an opening along the target's x axis (a needle through a ring): `tip` leads, level
    "thread": ("do", "object", "through", "tip", "opening", "clear", "depth", "retreat"),
    # open or close an articulated part: grip its handle, move it along its joint to `to`, let go
    "pull": ("do", "object", "joint", "to", "grasp", "approach", "retreat"),
    "push": ("do", "object", "joint", "to", "grasp", "approach", "retreat"),
}
MOVES_JOINT = ("pull", "push")
REACH = 0.3  # m: the most any recipe height or distance may be (the arm's workspace is ~0.5 m across)
OFFSET = 0.5  # m: the most a grasp point or via point may lie from its body (the table's half-depth)
# key → (low, high) in m; keys not here are not plain distances
DISTANCES = {
    "approach": (0.01, REACH),
    "lift": (0.0, REACH),
    "clear": (0.0, REACH),
    "release": (0.0, REACH),
    "depth": (0.0, REACH),
    "retreat": (0.0, REACH),
}


def _point(r: CheckedToml, value: Any, key: tuple, what: str) -> tuple[float, float, float]:
    return r.numbers(value, key, 3, f"[x, y, z] (m, {what})", low=-OFFSET, high=OFFSET)


def _joint_step(r: CheckedToml, value: dict, key: tuple, joints: dict[str, JointSpec]) -> dict[str, Any]:
    """A pull's or push's joint and the value it moves it to, within the joint's range."""
    for k in ("joint", "to"):
        if k not in value:
            raise r.fail((*key, k), "missing; this key is required")
    name = r.text(value["joint"], (*key, "joint"))
    if name not in joints:
        listed = ", ".join(joints) or "none (a joint is one of an MJCF fixture's)"
        raise r.fail((*key, "joint"), f"unknown joint {name!r}; joints: {listed}")
    low, high = joints[name].limits or (-np.inf, np.inf)
    return {"joint": name, "to": r.number(value["to"], (*key, "to"), low=low, high=high)}


def _step(
    r: CheckedToml,
    value: Any,
    key: tuple,
    bodies: dict[str, BodySpec | Link],
    held: str | None,
    joints: dict[str, JointSpec],
) -> RecipeStep:
    if not isinstance(value, dict):
        raise r.fail(key, f"expected a table (a [[recipe]] step), got {shown(value)}")
    if "do" not in value:
        raise r.fail((*key, "do"), f"missing; expected one of {', '.join(STEP_KEYS)}")
    do = value["do"]
    if not isinstance(do, str) or do not in STEP_KEYS:  # a list or table in `do` is not hashable
        raise r.fail((*key, "do"), f"expected one of {', '.join(STEP_KEYS)}, got {shown(do)}")
    target_key = TARGET_KEY.get(do)
    r.table(value, key, STEP_KEYS[do], ("object",) + ((target_key,) if target_key else ()))
    names = ", ".join(bodies)
    for k in ("object", target_key):
        if k and r.text(value[k], (*key, k)) not in bodies:
            raise r.fail((*key, k), f"unknown object {value[k]!r}; objects: {names}")
    obj = value["object"]
    fields: dict[str, Any] = {}
    if do == "pick" and not (isinstance(bodies[obj], BodySpec) and not bodies[obj].fixed):
        raise r.fail((*key, "object"), f"{obj!r} is a fixture or a part of one: only an object can be picked")
    if do == "pick" or do in MOVES_JOINT:
        if held is not None:
            raise r.fail(key, f"{do} {obj!r} while holding {held!r}: place or insert {held!r} first")
        if do in MOVES_JOINT:
            fields = _joint_step(r, value, key, joints)
    elif obj != held:
        holding = f"holds {held!r}" if held else "holds nothing"
        raise r.fail((*key, "object"), f"expected the picked object, got {obj!r}: the gripper {holding} here")
    elif value[target_key] == obj:
        raise r.fail((*key, target_key), f"an object cannot go {target_key} itself")
    fields |= {
        k: r.number(value[k], (*key, k), low=low, high=high) for k, (low, high) in DISTANCES.items() if k in value
    }
    if "at" in value:
        what = f"[x, y] (m, in {value[target_key]}'s frame)"
        fields["at"] = r.numbers(value["at"], (*key, "at"), 2, what, low=-OFFSET, high=OFFSET)
    if "grasp" in value:
        fields["grasp"] = _point(r, value["grasp"], (*key, "grasp"), "in the object's frame")
    if "tip" in value:
        fields["tip"] = _point(r, value["tip"], (*key, "tip"), "in the object's frame")
    if "opening" in value:
        fields["opening"] = _point(r, value["opening"], (*key, "opening"), f"in {value[target_key]}'s frame")
    if "align_yaw" in value:
        if not isinstance(value["align_yaw"], bool):
            raise r.fail((*key, "align_yaw"), f"expected true or false, got {shown(value['align_yaw'])}")
        fields["align_yaw"] = value["align_yaw"]
    if "via" in value:
        via = value["via"]
        if not isinstance(via, list) or not via:
            raise r.fail((*key, "via"), f"expected an array of [x, y, z] points, got {shown(via)}")
        fields["via"] = tuple(_point(r, p, (*key, "via"), f"from {value[target_key]}'s origin") for p in via)
    return RecipeStep(do, obj, value.get(target_key), **fields)


def read_recipe(r: CheckedToml, value: Any, bodies: tuple[BodySpec, ...]) -> tuple[RecipeStep, ...]:
    """The `[[recipe]]` steps (ConfigError naming file, line and key for anything wrong)."""
    if not isinstance(value, list) or not value:
        raise r.fail(("recipe",), "expected [[recipe]] tables, each with do and object")
    by_name: dict[str, BodySpec | Link] = {b.name: b for b in bodies}
    by_name |= {link.name: link for b in bodies if b.mjcf for link in b.mjcf.links}
    joints = {j.name: j for b in bodies if b.mjcf for j in b.mjcf.joints}
    steps: list[RecipeStep] = []
    held: str | None = None
    for i, item in enumerate(value):
        step = _step(r, item, ("recipe", i), by_name, held, joints)
        held = step.object if step.do == "pick" else None
        steps.append(step)
    return tuple(steps)
