"""Reads a task file (TOML, see docs/add-your-task.md) into a `TaskSpec`, checking every key: its
schema, defaults and the checks across keys (names, references, a layout that can be placed, a scene
that compiles). Anything wrong is one ConfigError line naming file, line and key (`toml_checks.py`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import mujoco
import numpy as np

from .errors import ConfigError
from .mesh_bounds import MESH_SUFFIXES, MeshError, mesh_bounds
from .mjcf_body import read_mjcf
from .predicate_parser import PredicateSyntaxError, parse_predicate
from .predicates import Predicate, calls
from .scene import TABLE_CENTER, TABLE_HALF, WORKSPACE_CENTER, SceneConfig, build_scene_xml
from .task_layout import placement_order, sample_layout
from .task_recipe import read_recipe
from .task_spec import MESH_COLLISIONS, SHAPE_SIZES, BodySpec, JointSpec, Part, StageSpec, TaskSpec
from .task_xml import assets_xml, bodies_xml, scene_names
from .toml_checks import CheckedToml, load_toml, shown

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")  # a task's name is a Gymnasium id part; an object's an MJCF name
TOP_KEYS = (
    "name",
    "instruction",
    "max_episode_steps",
    "success",
    "objects",
    "fixtures",
    "subtasks",
    "signals",
    "recipe",
)
GEOMETRY_KEYS = ("shape", "size", "file", "scale", "collision")  # one geom: a primitive, or a mesh file
PLACEMENT_KEYS = ("symmetry", "x", "y", "yaw_deg", "on_top_of")
BODY_KEYS = (*GEOMETRY_KEYS, "parts", "mass", "friction", "rgba", *PLACEMENT_KEYS, "mjcf")
MJCF_KEYS = ("mjcf", "joints", *PLACEMENT_KEYS)  # an MJCF fixture's geoms, masses and colours are the file's
PART_KEYS = (*GEOMETRY_KEYS, "pos", "rgba")
STAGE_KEYS = ("object", "until", "signal")
DEFAULT_FRICTION = (1.0, 0.01, 0.0001)  # the scene's `object` geom class
DEFAULT_RGBA = (0.6, 0.6, 0.6, 1.0)
DEFAULT_STEPS = 300
# Sane physical ranges, so that a typo (a size in mm, a mass in g) is an error, not a diverging simulation
SIZE_RANGE = (0.001, 0.5)  # m, any half-extent: from a 2 mm part to the table's half-depth
MAX_MASS = 20.0  # kg; the arm lifts ~3
MAX_FRICTION = 5.0
# the table's top in workspace-centred coordinates (m): a region must lie on it
TABLE_X = (TABLE_CENTER[0] - TABLE_HALF[0] - WORKSPACE_CENTER[0], TABLE_CENTER[0] + TABLE_HALF[0] - WORKSPACE_CENTER[0])
TABLE_Y = (TABLE_CENTER[1] - TABLE_HALF[1] - WORKSPACE_CENTER[1], TABLE_CENTER[1] + TABLE_HALF[1] - WORKSPACE_CENTER[1])


def _predicate(r: CheckedToml, value: Any, key: tuple, objects: list[str], joints: dict[str, JointSpec]) -> Predicate:
    text = r.text(value, key)
    quoted = text if len(text) <= 120 else text[:117] + "..."  # the column says where; keep the line short
    try:
        predicate = parse_predicate(text, objects, joints)
    except PredicateSyntaxError as exc:
        raise r.fail(key, f"{exc} in {quoted!r}") from None
    for call in calls(predicate):
        limits = joints[call.args[0]].limits if call.name == "joint_at" else None
        if limits and (call.args[1] > limits[1] or call.args[2] < limits[0]):
            raise r.fail(
                key,
                f"joint_at({call.args[0]}, {call.args[1]:g}, {call.args[2]:g}) can never hold: the joint's range is "
                f"[{limits[0]:g}, {limits[1]:g}], in {quoted!r}",
            )
    return predicate


def _part(r: CheckedToml, value: Any, key: tuple, with_pos: bool) -> Part:
    r.table(value, key, PART_KEYS if with_pos else GEOMETRY_KEYS, required=("shape",))
    shape = value["shape"]
    if shape not in (*SHAPE_SIZES, "mesh"):
        raise r.fail((*key, "shape"), f"expected one of {', '.join(SHAPE_SIZES)}, mesh, got {shown(shape)}")
    pos = r.numbers(value.get("pos", [0, 0, 0]), (*key, "pos"), 3, "[x, y, z] (m, in the body's frame)")
    rgba = _rgba(r, value["rgba"], (*key, "rgba")) if "rgba" in value else None
    if shape == "mesh":
        return _mesh_part(r, value, key, pos, rgba)
    for mesh_key in ("file", "scale", "collision"):
        if mesh_key in value:
            raise r.fail((*key, mesh_key), f"only a mesh takes {mesh_key}; a {shape} takes size")
    if "size" not in value:
        raise r.fail((*key, "size"), "missing; this key is required")
    names = SHAPE_SIZES[shape]
    what = f"a {shape}'s half-sizes [{', '.join(names)}] (m)"
    size = r.numbers(value["size"], (*key, "size"), len(names), what, low=SIZE_RANGE[0], high=SIZE_RANGE[1])
    return Part(shape, size, pos, rgba)


def _mesh_part(r: CheckedToml, value: dict, key: tuple, pos: tuple, rgba: tuple | None) -> Part:
    """A mesh part: its file (relative to the task file) read for its bounding box, scaled."""
    if "size" in value:
        raise r.fail((*key, "size"), "a mesh's size comes from its file; remove size (scale it with scale)")
    if "file" not in value:
        raise r.fail((*key, "file"), "missing; a mesh needs its file (.obj or .stl, relative to the task file)")
    file = r.path.parent / r.text(value["file"], (*key, "file"))
    if file.suffix.lower() not in MESH_SUFFIXES or not file.is_file():
        raise r.fail((*key, "file"), f"expected an existing .obj or .stl file, got {str(file)!r}")
    scale = value.get("scale", 1.0)
    if isinstance(scale, list):
        scale = r.numbers(scale, (*key, "scale"), 3, "a number or [x, y, z] > 0", positive=True)
    else:
        scale = (r.number(scale, (*key, "scale"), positive=True),) * 3
    collision = value.get("collision", MESH_COLLISIONS[0])
    if collision not in MESH_COLLISIONS:
        raise r.fail((*key, "collision"), f"expected one of {', '.join(MESH_COLLISIONS)}, got {shown(collision)}")
    try:
        low, high = mesh_bounds(file)
    except MeshError as exc:
        raise r.fail((*key, "file"), str(exc)) from None
    low, high = low * scale, high * scale
    half, center = tuple(map(float, (high - low) / 2)), tuple(map(float, (high + low) / 2))
    if min(half) < SIZE_RANGE[0] or max(half) > SIZE_RANGE[1]:
        shown_half = [round(h, 6) for h in half]
        raise r.fail(
            (*key, "scale"),
            f"expected the scaled mesh's half-extents within {SIZE_RANGE[0]:g}..{SIZE_RANGE[1]:g} m, got {shown_half}",
        )
    return Part("mesh", half, pos, rgba, str(file.resolve()), scale, collision, center)


def _rgba(r: CheckedToml, value: Any, key: tuple) -> tuple:
    rgba = r.numbers(value, key, 4, "[r, g, b, a] in 0..1", low=0.0)
    if max(rgba) > 1:
        raise r.fail(key, f"expected [r, g, b, a] in 0..1, got {list(rgba)}")
    return rgba


def _name(r: CheckedToml, name: str, key: tuple, what: str = "an object") -> None:
    if not NAME.fullmatch(name):
        raise r.fail(key, f"{what}'s name must be a letter, then letters, digits or '_', got {name!r}")
    if name in scene_names():
        raise r.fail(key, f"the scene (robot, table, cameras, lights) already uses the name {name!r}; rename {what}")


def _placement(r: CheckedToml, value: dict, key: tuple) -> dict[str, Any]:
    """A body's symmetry and reset distribution (BodySpec's fields of those names)."""
    on_top_of = value.get("on_top_of")
    region = None if on_top_of is not None else (TABLE_X, TABLE_Y)
    return {
        "symmetry": r.integer(value.get("symmetry", 1), (*key, "symmetry"), 1),
        "x": r.interval(value.get("x", [0, 0]), (*key, "x"), "m about the centre", region and region[0]),
        "y": r.interval(value.get("y", [0, 0]), (*key, "y"), "m about the centre", region and region[1]),
        "yaw_deg": r.interval(value.get("yaw_deg", [0, 0]), (*key, "yaw_deg"), "degrees"),
        "on_top_of": on_top_of if on_top_of is None else r.text(on_top_of, (*key, "on_top_of")),
    }


def _mjcf_body(r: CheckedToml, name: str, value: dict, key: tuple, fixed: bool) -> BodySpec:
    """A fixture given as an MJCF file (mjcf_body.py): its parts are its bounding box."""
    if not fixed:
        raise r.fail((*key, "mjcf"), "an MJCF body is a fixture: move it to [fixtures.<name>] (free ones: not yet)")
    r.table(value, key, MJCF_KEYS, ("mjcf",))
    mjcf, parts = read_mjcf(r, name, value["mjcf"], (*key, "mjcf"), value.get("joints"), NAME.fullmatch)
    for link in mjcf.links:
        _name(r, link.name, (*key, "mjcf"), f"body {link.name!r} of {Path(mjcf.file).name}")
    for joint in mjcf.joints:
        _name(r, joint.name, (*key, "mjcf"), f"joint {joint.name!r} of {Path(mjcf.file).name}")
    return BodySpec(
        name=name,
        parts=parts,
        fixed=True,
        mass=None,
        friction=DEFAULT_FRICTION,
        rgba=DEFAULT_RGBA,
        **_placement(r, value, key),
        mjcf=mjcf,
    )


def _body(r: CheckedToml, name: str, value: Any, key: tuple, fixed: bool) -> BodySpec:
    _name(r, name, key)
    if isinstance(value, dict) and "mjcf" in value:
        return _mjcf_body(r, name, value, key, fixed)
    r.table(value, key, tuple(k for k in BODY_KEYS if not (fixed and k == "mass")), () if fixed else ("mass",))
    if ("parts" in value) == ("shape" in value):
        raise r.fail(
            key, "expected either shape and size (one geom), parts (a list of {shape, size, pos}) or mjcf (a file)"
        )
    if "parts" in value:
        parts = value["parts"]
        if not isinstance(parts, list) or not parts:
            raise r.fail(
                (*key, "parts"), f"expected a non-empty array of {{shape, size, pos}} tables, got {shown(parts)}"
            )
        parts = tuple(_part(r, p, (*key, "parts", i), with_pos=True) for i, p in enumerate(parts))
    else:
        parts = (_part(r, {k: value[k] for k in GEOMETRY_KEYS if k in value}, key, with_pos=False),)
    friction = value.get("friction", DEFAULT_FRICTION[0])
    if isinstance(friction, list):
        what = f"[sliding, torsional, rolling] in 0..{MAX_FRICTION:g}"
        friction = r.numbers(friction, (*key, "friction"), 3, what, low=0.0, high=MAX_FRICTION)
    else:
        friction = (r.number(friction, (*key, "friction"), low=0.0, high=MAX_FRICTION), *DEFAULT_FRICTION[1:])
    return BodySpec(
        name=name,
        parts=parts,
        fixed=fixed,
        mass=None if fixed else r.number(value["mass"], (*key, "mass"), positive=True, high=MAX_MASS),
        friction=friction,
        rgba=_rgba(r, value["rgba"], (*key, "rgba")) if "rgba" in value else DEFAULT_RGBA,
        **_placement(r, value, key),
    )


def _bodies(r: CheckedToml, data: dict) -> tuple[BodySpec, ...]:
    objects = data.get("objects")
    if not isinstance(objects, dict) or not objects:
        raise r.fail(("objects",), "expected at least one object: a [objects.<name>] table")
    fixtures = data.get("fixtures", {})
    if not isinstance(fixtures, dict):
        raise r.fail(("fixtures",), f"expected [fixtures.<name>] tables, got {shown(fixtures)}")
    for name in set(objects) & set(fixtures):
        raise r.fail(("fixtures", name), f"{name!r} is also an object; names must be unique")
    bodies = tuple(
        _body(r, name, value, (group, name), fixed=group == "fixtures")
        for group, table in (("objects", objects), ("fixtures", fixtures))
        for name, value in table.items()
    )
    names = [b.name for b in bodies]
    seen: dict[str, str] = {}  # every object and joint name → the body it came with: one namespace, as MuJoCo's
    for b in bodies:
        inner = (*(link.name for link in b.mjcf.links), *(j.name for j in b.mjcf.joints)) if b.mjcf else ()
        for n in (b.name, *inner):
            if n in seen:
                key = ("fixtures" if b.fixed else "objects", b.name, *(("mjcf",) if n != b.name else ()))
                raise r.fail(
                    key, f"the name {n!r} is taken twice (by {seen[n]!r} and {b.name!r}); names must be unique"
                )
            seen[n] = b.name
    for b in bodies:
        key = ("fixtures" if b.fixed else "objects", b.name, "on_top_of")
        if b.on_top_of is not None and b.on_top_of not in names:
            raise r.fail(key, f"unknown object {b.on_top_of!r}; objects: {', '.join(names)}")
        if b.on_top_of == b.name:
            raise r.fail(key, "an object cannot rest on itself")
    if len(placement_order(bodies)) < len(bodies):
        stuck = [b.name for b in bodies if b.on_top_of is not None]
        raise r.fail(("objects",), f"on_top_of goes round in a loop among {', '.join(stuck)}")
    return bodies


def _stages(r: CheckedToml, data: dict, names: list[str], joints: dict[str, JointSpec]) -> tuple[StageSpec, ...]:
    stages = data.get("subtasks", [{"object": names[0]}])
    if not isinstance(stages, list) or not stages:
        raise r.fail(("subtasks",), "expected [[subtasks]] tables, each with object and until")
    out = []
    for i, stage in enumerate(stages):
        key = ("subtasks", i)
        last = i == len(stages) - 1
        r.table(stage, key, STAGE_KEYS, ("object",) if last else ("object", "until"))
        if stage["object"] not in names:
            raise r.fail((*key, "object"), f"unknown object {stage['object']!r}; objects: {', '.join(names)}")
        if last and "until" in stage:
            raise r.fail((*key, "until"), "the last subtask ends at success: remove until")
        until = None if last else _predicate(r, stage["until"], (*key, "until"), names, joints)
        signal = None if last else r.text(stage.get("signal", f"subtask{i + 1}"), (*key, "signal"), NAME)
        out.append(StageSpec(stage["object"], until, signal))
    return tuple(out)


def read_task_file(path: str | Path) -> TaskSpec:
    """The task `path` describes, every key checked (ConfigError: one line naming file, line, key)."""
    path = Path(path).resolve()
    data, r = load_toml(path)
    r.table(data, (), TOP_KEYS, ("name", "instruction", "success", "objects"))
    name = r.text(data["name"], ("name",), NAME)
    instruction = r.text(data["instruction"], ("instruction",))
    steps = r.integer(data.get("max_episode_steps", DEFAULT_STEPS), ("max_episode_steps",), 1)
    bodies = _bodies(r, data)
    names = [n for b in bodies for n in (b.name, *(link.name for link in (b.mjcf.links if b.mjcf else ())))]
    joints = {j.name: j for b in bodies if b.mjcf for j in b.mjcf.joints}
    stages = _stages(r, data, names, joints)
    extra = r.table(data.get("signals", {}), ("signals",), tuple(data.get("signals", {})))
    signals = tuple((s, _predicate(r, p, ("signals", s), names, joints)) for s, p in extra.items())
    for s, _ in signals:
        r.text(s, ("signals", s), NAME)
        if s in {st.signal for st in stages}:
            raise r.fail(("signals", s), "a subtask's signal already has this name")
    spec = TaskSpec(
        name=name,
        instruction=instruction,
        max_episode_steps=steps,
        bodies=bodies,
        stages=stages,
        success=_predicate(r, data["success"], ("success",), names, joints),
        signals=signals,
        path=str(path),
        recipe=read_recipe(r, data["recipe"], bodies) if "recipe" in data else (),
    )
    sample_layout(bodies, np.random.default_rng(0), f"{path}, objects")  # one that can never be placed fails now
    _check_compiles(spec)
    return spec


def _check_compiles(spec: TaskSpec) -> None:
    """MuJoCo compiles the scene with the task's bodies (the last word on the MJCF made from the file)."""
    try:
        mujoco.MjModel.from_xml_string(build_scene_xml(spec.name, bodies_xml(spec), SceneConfig(), assets_xml(spec)))
    except ValueError as exc:
        first = (str(exc).splitlines() or [""])[0]
        raise ConfigError(f"{spec.path}: the scene built from it does not compile: {first}") from None
