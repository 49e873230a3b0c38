"""A task described as data (what a task file holds once read): bodies, reset distribution, stages,
success. Frozen and hashable, so it pickles into worker processes and keys a cache of task classes.

Sizes follow MJCF's geom `size`: half-extents (box: x y z; cylinder: radius, half-height; sphere:
radius), metres; a mesh's extents are its file's bounding box, scaled. Extents below are of the body
upright (z-up) at yaw 0 in its own frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .predicates import Predicate

SHAPE_SIZES = {"box": ("x", "y", "z"), "cylinder": ("radius", "half_height"), "sphere": ("radius",)}
MESH_COLLISIONS = ("convex_hull", "box")


@dataclass(frozen=True)
class Part:
    """One geom of a body: a primitive shape at an offset (m) in the body frame."""

    shape: str  # box, cylinder, sphere, or mesh
    size: tuple[float, ...]  # a mesh's: the half-extents of its scaled bounding box
    pos: tuple[float, float, float] = (0.0, 0.0, 0.0)
    rgba: tuple[float, float, float, float] | None = None  # None: the body's colour
    file: str | None = None  # a mesh's file (absolute path)
    scale: tuple[float, float, float] = (1.0, 1.0, 1.0)  # a mesh's scale per axis
    collision: str = "convex_hull"  # a mesh's collision geometry: its convex hull, or its bounding "box"
    center: tuple[float, float, float] = (0.0, 0.0, 0.0)  # a mesh's bounding-box centre in its own frame (m)

    @property
    def offset(self) -> tuple[float, float, float]:
        """Where its bounding box's centre lies in the body frame (m)."""
        return (self.pos[0] + self.center[0], self.pos[1] + self.center[1], self.pos[2] + self.center[2])

    @property
    def half_extents(self) -> tuple[float, float, float]:
        """Half-extents of its axis-aligned box in the body frame (m)."""
        if self.shape in ("box", "mesh"):
            return self.size[0], self.size[1], self.size[2]
        if self.shape == "cylinder":
            return self.size[0], self.size[0], self.size[1]
        return self.size[0], self.size[0], self.size[0]

    @property
    def volume(self) -> float:
        """m³; a mesh's is its bounding box's (it only shares the body's mass among parts)."""
        if self.shape in ("box", "mesh"):
            return 8 * self.size[0] * self.size[1] * self.size[2]
        if self.shape == "cylinder":
            return 2 * math.pi * self.size[0] ** 2 * self.size[1]
        return 4 / 3 * math.pi * self.size[0] ** 3


class Extents:
    """A body's extents from its `parts`, upright (z-up) at yaw 0 in its own frame: what the layout
    and the predicates read (a task body's, or a link's of an articulated one)."""

    parts: tuple[Part, ...]

    @property
    def bottom(self) -> float:
        """How far its lowest point lies below its origin (m): resting on z, its origin is at z + bottom."""
        return max(p.half_extents[2] - p.offset[2] for p in self.parts)

    @property
    def top(self) -> float:
        """How far its highest point lies above its origin (m)."""
        return max(p.offset[2] + p.half_extents[2] for p in self.parts)

    @property
    def footprint(self) -> tuple[float, float]:
        """xy half-extents of the box about its origin that holds every part (m, its own frame)."""
        return (
            max(abs(p.offset[0]) + p.half_extents[0] for p in self.parts),
            max(abs(p.offset[1]) + p.half_extents[1] for p in self.parts),
        )

    @property
    def radius(self) -> float:
        """The xy circle about its origin that holds it at any yaw (m): the overlap test's."""
        return max(
            math.hypot(abs(p.offset[0]) + p.half_extents[0], abs(p.offset[1]) + p.half_extents[1]) for p in self.parts
        )


@dataclass(frozen=True)
class Link(Extents):
    """A named body inside an MJCF fixture (a drawer, its handle): a task object of its own, whose
    pose moves with its joints. `parts`: one box, its own geoms' bounding box in its frame."""

    name: str
    parts: tuple[Part, ...]
    symmetry: int = 1  # a link is its file's shape: no symmetry is assumed


@dataclass(frozen=True)
class JointSpec:
    """A slide or hinge joint inside an MJCF fixture. Values are m (slide) or degrees (hinge)."""

    name: str
    kind: str  # "slide" or "hinge"
    limits: tuple[float, float] | None  # the file's range, None when it sets none
    init: tuple[float, float]  # the reset draws its value uniformly in this range


@dataclass(frozen=True)
class MjcfSpec:
    """What a fixture's MJCF file holds: its one body's children (geoms, child bodies, joints) as
    MJCF text, spliced under the fixture's own body; its links and joints, in file order."""

    file: str  # absolute path, for errors and docs
    xml: str
    links: tuple[Link, ...]
    joints: tuple[JointSpec, ...]


@dataclass(frozen=True)
class BodySpec(Extents):
    """A free object (`fixed` False: a free joint, a mass) or a fixture (a static mocap body that
    the reset places), with its reset distribution. A fixture may be an MJCF body (`mjcf`), whose
    links move on their joints."""

    name: str
    parts: tuple[Part, ...]
    fixed: bool
    mass: float | None  # kg, the whole body; None for a fixture
    friction: tuple[float, float, float]  # MuJoCo's sliding, torsional, rolling
    rgba: tuple[float, float, float, float]
    symmetry: int  # n-fold about its z axis
    x: tuple[float, float]  # m about the workspace centre, or about the support's centre
    y: tuple[float, float]
    yaw_deg: tuple[float, float]
    on_top_of: str | None
    mjcf: MjcfSpec | None = None  # an articulated fixture read from an MJCF file; `parts` is then its bounding box


@dataclass(frozen=True)
class StageSpec:
    """A MimicGen object-centric stage: motion relative to `object`, ended by `until` (signal
    `signal` in info["subtasks"]); the last stage has no `until` and ends at success."""

    object: str
    until: Predicate | None
    signal: str | None


@dataclass(frozen=True)
class RecipeStep:
    """One step of a task file's scripted recipe (`[[recipe]]`, see recipe_expert.py): `do` is pick,
    place_on, insert, thread, pull or push; `object` the body picked, the held body placed, inserted
    or threaded, or the handle pulled or pushed; `target` the body it goes onto, into or through
    (None for the others). Distances in m."""

    do: str
    object: str
    target: str | None = None
    grasp: tuple[float, float, float] = (0.0, 0.0, 0.0)  # pick: grasp point in the object's frame
    approach: float = 0.08  # pick: approach height above the grasp point
    lift: float = 0.1  # pick: lift after closing
    clear: float = 0.04  # place_on/insert: gap, object's bottom over the target's top, while carried over
    release: float = 0.01  # place_on: that gap when letting go
    depth: float = 0.0  # insert: how far the object's bottom goes below the target's top
    align_yaw: bool = True  # place_on: turn the object to the target's yaw (modulo its symmetry)
    via: tuple[tuple[float, float, float], ...] = ()  # place_on/insert: points passed on the way
    retreat: float = 0.1  # place_on/insert/pull/push: back off upward after letting go
    at: tuple[float, float] = (0.0, 0.0)  # place_on/insert: the xy point of the target's frame aimed at
    joint: str | None = None  # pull/push: the joint the handle moves on
    to: float = 0.0  # pull/push: the joint value to reach (m for a slide, degrees for a hinge)
    tip: tuple[float, float, float] = (0.0, 0.0, 0.0)  # thread: the held object's leading point, its frame
    opening: tuple[float, float, float] = (0.0, 0.0, 0.0)  # thread: the opening's centre, the target's frame


@dataclass(frozen=True)
class TaskSpec:
    """A whole task file, read and checked. `bodies`: free objects, then fixtures, each in file order
    (the observation order). `signals`: named predicates reported beside the stages' signals."""

    name: str
    instruction: str
    max_episode_steps: int
    bodies: tuple[BodySpec, ...]
    stages: tuple[StageSpec, ...]
    success: Predicate
    signals: tuple[tuple[str, Predicate], ...]
    path: str  # the file it was read from (absolute)
    recipe: tuple[RecipeStep, ...] = ()  # its scripted expert's steps; () when it has none

    def body(self, name: str) -> BodySpec:
        return next(b for b in self.bodies if b.name == name)

    @property
    def links(self) -> tuple[Link, ...]:
        """Every MJCF fixture's links, in body order."""
        return tuple(link for b in self.bodies if b.mjcf for link in b.mjcf.links)

    @property
    def joints(self) -> tuple[JointSpec, ...]:
        return tuple(j for b in self.bodies if b.mjcf for j in b.mjcf.joints)

    @property
    def object_names(self) -> tuple[str, ...]:
        """The task's objects in observation order: each body, an MJCF fixture followed by its links."""
        return tuple(
            n for b in self.bodies for n in (b.name, *(link.name for link in (b.mjcf.links if b.mjcf else ())))
        )

    def extents(self, name: str) -> BodySpec | Link:
        """The body or link called `name`."""
        return next(x for x in (*self.bodies, *self.links) if x.name == name)

    def joint(self, name: str) -> JointSpec:
        return next(j for j in self.joints if j.name == name)
