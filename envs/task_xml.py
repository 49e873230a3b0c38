"""The MJCF of a file task: one body per object (a free joint and its mass) or fixture (a mocap
body, placed per episode without editing the model, as the built-in bin and socket are), geoms per
part in the scene's `object` geom class (its contact settings), and the mesh assets they use. An
MJCF fixture's body holds its file's body's children (`mjcf_body.py`)."""

from __future__ import annotations

import functools
import html
import re

from .scene import SceneConfig, build_scene_xml
from .task_spec import BodySpec, Part, TaskSpec


def _numbers(values) -> str:
    return " ".join(f"{v:g}" for v in values)


def _mesh_name(body: BodySpec, i: int) -> str:
    return f"{body.name}_mesh{i}"


def _geoms(body: BodySpec, i: int, part: Part, name: str, physics: str) -> list[str]:
    """A part's geoms: one primitive, or a mesh whose collision is its convex hull (MuJoCo's for
    any mesh) or, for `collision = "box"`, a box over its bounding box, the mesh then only drawn."""
    rgba = f'rgba="{_numbers(part.rgba or body.rgba)}"'
    if part.shape != "mesh":
        return [
            f'  <geom name="{name}" class="object" type="{part.shape}" size="{_numbers(part.size)}" '
            f'pos="{_numbers(part.pos)}" {rgba} {physics}/>'
        ]
    mesh = f'type="mesh" mesh="{_mesh_name(body, i)}" pos="{_numbers(part.pos)}" {rgba}'
    if part.collision == "convex_hull":
        return [f'  <geom name="{name}" class="object" {mesh} {physics}/>']
    return [
        f'  <geom name="{name}_visual" {mesh} contype="0" conaffinity="0" group="1" mass="0"/>',
        # group 3: hidden in renders and skipped by appearance randomization (visible = group <= 2)
        f'  <geom name="{name}" class="object" type="box" size="{_numbers(part.size)}" '
        f'pos="{_numbers(part.offset)}" rgba="0.5 0.5 0.5 0.3" group="3" {physics}/>',
    ]


def _body_xml(body: BodySpec) -> str:
    if body.mjcf is not None:
        # the file's body's children under the fixture's mocap body; its geoms collide as the task's others do
        return (
            f'<body name="{body.name}" mocap="true" pos="0.5 0 {body.bottom:g}" childclass="object">\n'
            f"{body.mjcf.xml}\n</body>"
        )
    total_volume = sum(p.volume for p in body.parts)
    geoms = []
    for i, part in enumerate(body.parts):
        name = body.name if len(body.parts) == 1 else f"{body.name}_{i}"
        # a body's mass is shared by its parts in proportion to their volume (uniform density)
        mass = "" if body.mass is None else f' mass="{body.mass * part.volume / total_volume:g}"'
        geoms += _geoms(body, i, part, name, f'friction="{_numbers(body.friction)}"{mass}')
    head = (
        f'<body name="{body.name}" mocap="true" pos="0.5 0 {body.bottom:g}">'
        if body.fixed
        else f'<body name="{body.name}" pos="0.5 0 {body.bottom:g}">\n  <freejoint name="{body.name}"/>'
    )
    return "\n".join([head, *geoms, "</body>"])


def bodies_xml(spec: TaskSpec) -> str:
    """The task's bodies, for the scene's worldbody (`Task.objects_xml`)."""
    return "\n".join(_body_xml(b) for b in spec.bodies)


def assets_xml(spec: TaskSpec) -> str:
    """The mesh assets the task's bodies use (`Task.assets_xml`); files by absolute path."""
    return "\n".join(
        f'<mesh name="{_mesh_name(b, i)}" file="{html.escape(p.file or "")}" scale="{_numbers(p.scale)}"/>'
        for b in spec.bodies
        for i, p in enumerate(b.parts)
        if p.shape == "mesh"
    )


@functools.cache
def scene_names() -> frozenset[str]:
    """Every name the shared scene already uses (robot, table, cameras, lights, textures):
    a task body must not take one."""
    return frozenset(re.findall(r'\bname="([^"]+)"', build_scene_xml("names", "", SceneConfig())))
