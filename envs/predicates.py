"""The predicate vocabulary of task files: what subtask signals and success are made of.

A predicate is a small tree: a `Call` of one vocabulary entry on object names and numbers, or
`all`/`any`/`not` of predicates. `PREDICATES` is the vocabulary (each entry's argument kinds and
what it tests); `evaluate` answers a predicate on a `Scene`, the task's view of the current state.
Each test reads the quantities the built-in tasks read (`SimView.grasping`'s finger-pad contacts,
heights over the table, footprints and yaw error modulo the object's symmetry), so a file task's
`grasped(cube)` is the built-in Lift's `grasped` signal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .geometry import wrap_angle, yaw_of

STACK_TOLERANCE = 0.005  # m a resting object's bottom may sit below its support's top (contact, rounding; Stack's)


@dataclass(frozen=True)
class Call:
    """`name(args...)`: a vocabulary predicate on object names (str) and numbers (float)."""

    name: str
    args: tuple[str | float, ...]


@dataclass(frozen=True)
class Combine:
    """`all(...)`, `any(...)` or `not(x)` of predicates."""

    op: str
    items: tuple[Predicate, ...]


Predicate = Call | Combine
COMBINATORS = ("all", "any", "not")


class Scene(Protocol):
    """What predicates read: per-object poses, extents and contacts at the current state."""

    def position(self, obj: str) -> np.ndarray: ...  # (3,) world position of the body (m)
    def rotation(self, obj: str) -> np.ndarray: ...  # (3, 3) world rotation
    def bottom(self, obj: str) -> float: ...  # world z of its lowest point, upright (m)
    def top(self, obj: str) -> float: ...  # world z of its highest point, upright (m)
    def footprint(self, obj: str) -> tuple[float, float]: ...  # xy half-extents in its own frame (m)
    def symmetry_of(self, obj: str) -> int: ...  # n-fold symmetry about its z axis
    def grasped(self, obj: str) -> bool: ...
    def touching(self, a: str, b: str) -> bool: ...
    def table_z(self) -> float: ...
    def joint_value(self, joint: str) -> float: ...  # a slide's m, a hinge's degrees


def _in_frame_xy(scene: Scene, a: str, b: str) -> np.ndarray:
    """a's centre in b's frame, x and y (m)."""
    return (scene.rotation(b).T @ (scene.position(a) - scene.position(b)))[:2]


def _within_footprint(scene: Scene, a: str, b: str) -> bool:
    return bool(np.all(np.abs(_in_frame_xy(scene, a, b)) < scene.footprint(b)))


def grasped(scene: Scene, obj: str) -> bool:
    return scene.grasped(obj)


def lifted(scene: Scene, obj: str, height: float) -> bool:
    return scene.bottom(obj) - scene.table_z() > height


def on(scene: Scene, a: str, b: str) -> bool:
    """Stack's test: a's centre over b's top face, a's bottom not below it, and the two touching."""
    resting = scene.bottom(a) > scene.top(b) - STACK_TOLERANCE
    return _within_footprint(scene, a, b) and resting and scene.touching(a, b)


def inside(scene: Scene, a: str, b: str) -> bool:
    """PickPlace's test: a's centre within b's footprint, a's bottom below b's top and not below b's bottom."""
    return _within_footprint(scene, a, b) and scene.bottom(b) - STACK_TOLERANCE <= scene.bottom(a) < scene.top(b)


def near(scene: Scene, a: str, b: str, distance: float) -> bool:
    return float(np.linalg.norm(scene.position(a) - scene.position(b))) < distance


def aligned(scene: Scene, a: str, b: str, pos_tol: float, angle_tol_deg: float) -> bool:
    """PegInsert's `above_target`: xy centres within pos_tol, yaw error modulo a's symmetry within angle_tol."""
    xy = float(np.linalg.norm(scene.position(a)[:2] - scene.position(b)[:2]))
    period = 2 * np.pi / scene.symmetry_of(a)
    d = wrap_angle(yaw_of(scene.rotation(a)) - yaw_of(scene.rotation(b)))
    yaw_error = abs((d + period / 2) % period - period / 2)
    return xy < pos_tol and yaw_error < np.radians(angle_tol_deg)


def upright(scene: Scene, obj: str, max_tilt_deg: float = 25.0) -> bool:
    """Its z axis within max_tilt of world z (generation's tipped-over test is z·z < 0.9, ~26°)."""
    return bool(scene.rotation(obj)[2, 2] > np.cos(np.radians(max_tilt_deg)))


def joint_at(scene: Scene, joint: str, low: float, high: float) -> bool:
    """The joint's value within [low, high]: m for a slide (a drawer's opening), degrees for a hinge."""
    return low <= scene.joint_value(joint) <= high


@dataclass(frozen=True)
class Entry:
    """A vocabulary predicate: its test, its argument kinds in order ("object": a body or an MJCF
    fixture's link; "joint": an MJCF fixture's joint; "number"), how many of them are required, and
    its signature as the docs and errors show it (units in names)."""

    test: Callable[..., bool]
    args: tuple[str, ...]
    required: int
    signature: str


PREDICATES: dict[str, Entry] = {
    "grasped": Entry(grasped, ("object",), 1, "grasped(obj)"),
    "lifted": Entry(lifted, ("object", "number"), 2, "lifted(obj, height_m)"),
    "on": Entry(on, ("object", "object"), 2, "on(a, b)"),
    "inside": Entry(inside, ("object", "object"), 2, "inside(a, b)"),
    "near": Entry(near, ("object", "object", "number"), 3, "near(a, b, distance_m)"),
    "aligned": Entry(aligned, ("object", "object", "number", "number"), 4, "aligned(a, b, pos_tol_m, angle_tol_deg)"),
    "upright": Entry(upright, ("object", "number"), 1, "upright(obj[, max_tilt_deg])"),
    "joint_at": Entry(joint_at, ("joint", "number", "number"), 3, "joint_at(joint, low, high)"),
}


def evaluate(predicate: Predicate, scene: Scene) -> bool:
    """The truth of `predicate` at the scene's current state."""
    if isinstance(predicate, Combine):
        if predicate.op == "not":
            return not evaluate(predicate.items[0], scene)
        results = (evaluate(item, scene) for item in predicate.items)
        return all(results) if predicate.op == "all" else any(results)
    return bool(PREDICATES[predicate.name].test(scene, *predicate.args))


def calls(predicate: Predicate) -> list[Call]:
    """Every vocabulary call in `predicate`, depth first."""
    if isinstance(predicate, Call):
        return [predicate]
    return [c for item in predicate.items for c in calls(item)]


def render(predicate: Predicate) -> str:
    """The predicate as task-file text (what the parser reads back)."""
    if isinstance(predicate, Combine):
        return f"{predicate.op}({', '.join(render(item) for item in predicate.items)})"
    return f"{predicate.name}({', '.join(a if isinstance(a, str) else f'{a:g}' for a in predicate.args)})"
