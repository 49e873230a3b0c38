"""The MJCF bodies of a file task: one body per object (a free joint and its mass) or fixture (a
mocap body, placed per episode without editing the model, as the built-in bin and socket are),
one geom per part, in the scene's `object` geom class (its contact settings)."""

from __future__ import annotations

import functools
import re

from .scene import SceneConfig, build_scene_xml
from .task_spec import BodySpec, TaskSpec


def _numbers(values) -> str:
    return " ".join(f"{v:g}" for v in values)


def _body_xml(body: BodySpec) -> str:
    total_volume = sum(p.volume for p in body.parts)
    geoms = []
    for i, part in enumerate(body.parts):
        name = body.name if len(body.parts) == 1 else f"{body.name}_{i}"
        # a body's mass is shared by its parts in proportion to their volume (uniform density)
        mass = "" if body.mass is None else f' mass="{body.mass * part.volume / total_volume:g}"'
        geoms.append(
            f'  <geom name="{name}" class="object" type="{part.shape}" size="{_numbers(part.size)}" '
            f'pos="{_numbers(part.pos)}" rgba="{_numbers(part.rgba or body.rgba)}" '
            f'friction="{_numbers(body.friction)}"{mass}/>'
        )
    head = (
        f'<body name="{body.name}" mocap="true" pos="0.5 0 {body.bottom:g}">'
        if body.fixed
        else f'<body name="{body.name}" pos="0.5 0 {body.bottom:g}">\n  <freejoint name="{body.name}"/>'
    )
    return "\n".join([head, *geoms, "</body>"])


def bodies_xml(spec: TaskSpec) -> str:
    """The task's bodies, for the scene's worldbody (`Task.objects_xml`)."""
    return "\n".join(_body_xml(b) for b in spec.bodies)


@functools.cache
def scene_names() -> frozenset[str]:
    """Every name the shared scene already uses (robot, table, cameras, lights, textures):
    a task body must not take one."""
    return frozenset(re.findall(r'\bname="([^"]+)"', build_scene_xml("names", "", SceneConfig())))
