"""A task file's articulated fixture (`mjcf = "cabinet.xml"`): an MJCF file whose one body (a
cabinet) holds named child bodies (a drawer, its handle) on slide or hinge joints.

The file's body becomes the fixture: its children are spliced under the fixture's own mocap body
(placed per episode, as any fixture), with the scene's `object` geom class as their default, so they
collide as the file task's other bodies do. Each named child body is a task object of its own (a
`Link`: observed, usable in predicates and as a subtask's reference), whose pose MuJoCo moves with
its joints. Extents are read from the file compiled on its own, so the layout and `inside(a, drawer)`
need no hand-written sizes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import mujoco
import numpy as np

from .task_spec import JointSpec, Link, MjcfSpec, Part
from .toml_checks import CheckedToml

JOINT_KINDS = {int(mujoco.mjtJoint.mjJNT_SLIDE): "slide", int(mujoco.mjtJoint.mjJNT_HINGE): "hinge"}
ROOT_ATTRIBUTES = ("name",)  # the fixture's pose comes from the task file's reset distribution, not the file
OBJECT_CLASS = '<default><default class="object"><geom contype="1" conaffinity="1" condim="4"/></default></default>'


def joint_value(model: mujoco.MjModel, data: mujoco.MjData, joint: int) -> float:
    """A slide or hinge joint's value now: m, or degrees for a hinge (as task files write them)."""
    q = float(data.qpos[model.jnt_qposadr[joint]])
    return float(np.degrees(q)) if model.jnt_type[joint] == mujoco.mjtJoint.mjJNT_HINGE else q


def set_joint_value(model: mujoco.MjModel, data: mujoco.MjData, joint: int, value: float) -> None:
    """Set a slide (m) or hinge (degrees) joint's value, at rest."""
    hinge = model.jnt_type[joint] == mujoco.mjtJoint.mjJNT_HINGE
    data.qpos[model.jnt_qposadr[joint]] = np.radians(value) if hinge else value
    data.qvel[model.jnt_dofadr[joint]] = 0.0


def _inner_xml(r: CheckedToml, key: tuple, file: Path) -> str:
    """The MJCF of the file's one body's children, checked for the shape this reader takes."""
    try:
        root = ET.parse(file).getroot()
    except ET.ParseError as exc:
        raise r.fail(key, f"{file}: not valid XML: {exc}") from None
    if root.tag != "mujoco":
        raise r.fail(key, f"{file}: expected a <mujoco> file, got <{root.tag}>")
    others = [child.tag for child in root if child.tag != "worldbody"]
    if others:
        raise r.fail(
            key, f"{file}: expected only <worldbody> in <mujoco> (geoms carry their own settings), got <{others[0]}>"
        )
    bodies = [b for w in root.iter("worldbody") for b in w]
    if len(bodies) != 1 or bodies[0].tag != "body":
        tags = ", ".join(f"<{b.tag}>" for b in bodies) or "nothing"
        raise r.fail(key, f"{file}: expected one <body> in <worldbody> (the fixture), got {tags}")
    body = bodies[0]
    extra = [a for a in body.attrib if a not in ROOT_ATTRIBUTES]
    if extra:
        raise r.fail(
            key, f"{file}: the root body's frame is the fixture's (placed by x, y, yaw_deg): remove {extra[0]}="
        )
    for child in body:
        if child.tag in ("joint", "freejoint"):
            raise r.fail(key, f"{file}: the root body is fixed (a fixture): move its <{child.tag}> to a child body")
    return "".join(ET.tostring(child, encoding="unicode") for child in body)


def _compile(r: CheckedToml, key: tuple, file: Path, name: str, inner: str) -> mujoco.MjModel:
    xml = (
        f'<mujoco>{OBJECT_CLASS}<worldbody><body name="{name}" childclass="object">{inner}</body></worldbody></mujoco>'
    )
    try:
        return mujoco.MjModel.from_xml_string(xml)
    except ValueError as exc:
        first = (str(exc).splitlines() or [""])[0]
        raise r.fail(key, f"{file}: MuJoCo does not compile it: {first}") from None


def _box(model: mujoco.MjModel, data: mujoco.MjData, geoms: np.ndarray, frame: int) -> Part | None:
    """The box, in body `frame`'s frame, that holds `geoms` (each geom's own bounding box turned into it)."""
    if len(geoms) == 0:
        return None
    rot, pos = data.xmat[frame].reshape(3, 3), data.xpos[frame]
    low, high = np.full(3, np.inf), np.full(3, -np.inf)
    for g in geoms:
        center, half = model.geom_aabb[g, :3], model.geom_aabb[g, 3:]
        to_frame = rot.T @ data.geom_xmat[g].reshape(3, 3)
        c = rot.T @ (data.geom_xpos[g] - pos) + to_frame @ center
        h = np.abs(to_frame) @ half
        low, high = np.minimum(low, c - h), np.maximum(high, c + h)
    half, center = (high - low) / 2, (high + low) / 2
    return Part("box", tuple(map(float, np.maximum(half, 1e-4))), tuple(map(float, center)))


def _joints(r: CheckedToml, key: tuple, value: Any, model: mujoco.MjModel, file: Path) -> tuple[JointSpec, ...]:
    """Each joint of the file with its reset range (`joints = { slide = [low, high] }`, default its value 0)."""
    names = [model.joint(j).name for j in range(model.njnt)]
    if value is not None and not names:
        raise r.fail(key, f"{file.name} has no joint to give a reset range to")
    init = r.table(value, key, tuple(names)) if value is not None else {}
    out = []
    for j, name in enumerate(names):
        hinge = model.jnt_type[j] == mujoco.mjtJoint.mjJNT_HINGE
        unit = "degrees" if hinge else "m"
        limits = None
        if model.jnt_limited[j]:
            low, high = model.jnt_range[j]
            limits = (float(np.degrees(low)), float(np.degrees(high))) if hinge else (float(low), float(high))
        what = f"{name}'s value, {unit}"
        span = r.interval(init.get(name, [0.0, 0.0]), (*key, name), what)
        if limits and (span[0] < limits[0] - 1e-9 or span[1] > limits[1] + 1e-9):
            raise r.fail(
                (*key, name),
                f"expected a range within the joint's range [{limits[0]:g}, {limits[1]:g}] ({unit}, {file.name}), "
                f"got [{span[0]:g}, {span[1]:g}]",
            )
        out.append(JointSpec(name, JOINT_KINDS[int(model.jnt_type[j])], limits, span))
    return tuple(out)


def read_mjcf(
    r: CheckedToml, name: str, value: Any, key: tuple, joints: Any, is_name
) -> tuple[MjcfSpec, tuple[Part, ...]]:
    """The fixture `name`'s MJCF file (`value`, relative to the task file) and its bounding box as
    one part (over the joints' reset ranges: a drawer that may start open reaches further).
    `is_name(text)` tells a valid object or joint name."""
    file = r.path.parent / r.text(value, key)
    if file.suffix.lower() != ".xml" or not file.is_file():
        raise r.fail(key, f"expected an existing .xml file (MJCF, relative to the task file), got {str(file)!r}")
    inner = _inner_xml(r, key, file)
    model = _compile(r, key, file, name, inner)
    for kind, count in ((mujoco.mjtObj.mjOBJ_BODY, model.nbody), (mujoco.mjtObj.mjOBJ_JOINT, model.njnt)):
        what = "body" if kind == mujoco.mjtObj.mjOBJ_BODY else "joint"
        for i in range(2 if what == "body" else 0, count):  # 0: the world, 1: the fixture itself
            label = mujoco.mj_id2name(model, kind, i)
            if not label or not is_name(label):
                raise r.fail(
                    key,
                    f"{file}: every {what} in it needs a name (a letter, then letters, digits or '_'), got {label!r}",
                )
    for j in range(model.njnt):
        if int(model.jnt_type[j]) not in JOINT_KINDS:
            raise r.fail(key, f"{file}: joint {model.joint(j).name!r}: expected a slide or hinge joint")
    joint_specs = _joints(r, (*key[:-1], "joints"), joints, model, file)
    data = mujoco.MjData(model)
    boxes = []
    for corner in ("init_low", "init_high"):  # the layout must hold the fixture at either end of its reset ranges
        for j, spec in enumerate(joint_specs):
            set_joint_value(model, data, j, spec.init[0] if corner == "init_low" else spec.init[1])
        mujoco.mj_kinematics(model, data)
        boxes.append(_box(model, data, np.arange(model.ngeom), 1))
    links = []
    mujoco.mj_resetData(model, data)
    mujoco.mj_kinematics(model, data)
    for b in range(2, model.nbody):
        own = _box(model, data, np.flatnonzero(model.geom_bodyid == b), b)
        if own is None:
            raise r.fail(key, f"{file}: body {model.body(b).name!r} has no geom (a link is something to touch or see)")
        links.append(Link(model.body(b).name, (own,)))
    if any(box is None for box in boxes):
        raise r.fail(key, f"{file}: holds no geom")
    low = np.min([np.subtract(b.pos, b.size) for b in boxes], axis=0)
    high = np.max([np.add(b.pos, b.size) for b in boxes], axis=0)
    bounds = Part("box", tuple(map(float, (high - low) / 2)), tuple(map(float, (high + low) / 2)))
    return MjcfSpec(str(file.resolve()), inner, tuple(links), joint_specs), (bounds,)
