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


@dataclass(frozen=True)
class BodySpec:
    """A free object (`fixed` False: a free joint, a mass) or a fixture (a static mocap body that
    the reset places), with its reset distribution."""

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
class StageSpec:
    """A MimicGen object-centric stage: motion relative to `object`, ended by `until` (signal
    `signal` in info["subtasks"]); the last stage has no `until` and ends at success."""

    object: str
    until: Predicate | None
    signal: str | None


@dataclass(frozen=True)
class RecipeStep:
    """One step of a task file's scripted recipe (`[[recipe]]`, see recipe_expert.py): `do` is pick,
    place_on or insert; `object` the body picked, or the held body placed or inserted; `target` the
    body it goes onto or into (None for a pick). Distances in m."""

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
    retreat: float = 0.1  # place_on/insert: back off upward after letting go


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
