"""The reset distribution of a file task: each body's xy in its region, its yaw in its range, on
the table or on top of another body, with no two overlapping (rejection sampling).

Two bodies overlap when their height intervals overlap and their xy circles (`BodySpec.radius`,
holding the body at any yaw) come closer than `CLEARANCE`: conservative, and yaw-independent, so a
draw is accepted or rejected without asking the simulator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import ConfigError
from .scene import TABLE_TOP_Z, WORKSPACE_CENTER
from .task_spec import BodySpec

CLEARANCE = 0.005  # m between two bodies' circles at reset
MAX_DRAWS = 200  # whole-layout draws before giving up


@dataclass(frozen=True)
class Placement:
    pos: np.ndarray  # (3,) world position of the body's origin (m)
    yaw: float  # rad


def placement_order(bodies: tuple[BodySpec, ...]) -> list[BodySpec]:
    """Bodies with every support before what rests on it; those in an on_top_of loop (or on an
    unknown body) are left out, which is how the file reader finds them."""
    done: dict[str, BodySpec] = {}
    pending = list(bodies)
    while pending:
        ready = [b for b in pending if b.on_top_of is None or b.on_top_of in done]
        if not ready:
            break
        done.update((b.name, b) for b in ready)
        pending = [b for b in pending if b.name not in done]
    return list(done.values())


def _draw(body: BodySpec, placed: dict[str, Placement], bodies: dict[str, BodySpec], rng) -> Placement:
    offset = np.array([rng.uniform(*body.x), rng.uniform(*body.y)])
    if body.on_top_of is None:
        xy, z = WORKSPACE_CENTER[:2] + offset, TABLE_TOP_Z + body.bottom
    else:
        support = placed[body.on_top_of]
        # the region is in the support's frame, which turns with its yaw
        c, s = math.cos(support.yaw), math.sin(support.yaw)
        xy = support.pos[:2] + np.array([c * offset[0] - s * offset[1], s * offset[0] + c * offset[1]])
        z = support.pos[2] + bodies[body.on_top_of].top + body.bottom
    yaw = math.radians(rng.uniform(*body.yaw_deg))
    return Placement(np.array([xy[0], xy[1], z]), yaw)


def _overlap(a: BodySpec, pa: Placement, b: BodySpec, pb: Placement) -> bool:
    a_low, a_high = pa.pos[2] - a.bottom, pa.pos[2] + a.top
    b_low, b_high = pb.pos[2] - b.bottom, pb.pos[2] + b.top
    if a_low >= b_high - 1e-9 or b_low >= a_high - 1e-9:  # one above the other (resting on it counts)
        return False
    return float(np.linalg.norm(pa.pos[:2] - pb.pos[:2])) < a.radius + b.radius + CLEARANCE


def sample_layout(bodies: tuple[BodySpec, ...], rng: np.random.Generator, where: str) -> dict[str, Placement]:
    """Body name → placement, every pair apart. Raises ConfigError naming `where` (the task file)
    when `MAX_DRAWS` draws of the whole layout all had an overlap."""
    by_name = {b.name: b for b in bodies}
    order = placement_order(bodies)
    for _ in range(MAX_DRAWS):
        placed: dict[str, Placement] = {}
        for body in order:
            p = _draw(body, placed, by_name, rng)
            if any(_overlap(body, p, by_name[n], q) for n, q in placed.items()):
                break
            placed[body.name] = p
        else:
            return placed
    raise ConfigError(
        f"{where}: the reset distribution places no layout without overlapping objects in {MAX_DRAWS} draws; "
        "expected x/y regions wide and far enough apart for the objects (each needs its circle plus "
        f"{CLEARANCE * 1000:g} mm)"
    )
