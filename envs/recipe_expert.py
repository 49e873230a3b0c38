"""The scripted expert of a task file with a `[[recipe]]`: its steps become the phases of the
built-in experts (`experts.py`), so a file task's expert moves, grasps, slows down and is human-like
(`ExpertConfig`) exactly as theirs do.

- pick: approach above the grasp point, descend, close, lift (Lift's and Stack's grasp);
- place_on: carry the held object over the target, turned to its yaw, lower, open, back off
  (Stack's and PickPlace's place);
- insert: carry the held object's bottom over the target, upright and turned to it, align
  precisely, push it down, open, back off (PegInsert's insertion, then a release);
- pull, push: grip a handle (a link of an MJCF fixture) as a pick does, move it along its joint's
  motion until the joint reads `to` (a drawer opened or closed), open, back off.

Heights come from the bodies' extents (`BodySpec.top`/`bottom`), so a recipe says gaps, not
coordinates. `recipe_phases` is the entry registered in `EXPERTS` for such a file's task: a
top-level function that reads the recipe from the env's task config, so it reaches spawned workers
by reference, as the task itself does.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import mujoco
import numpy as np

from .experts import (
    CLOSED,
    OPEN,
    Phase,
    above,
    at_grasp,
    carry_to,
    frame_pos,
    frame_yaw,
    gripper_down,
    hold_here,
    object_pos,
    object_rot,
)
from .geometry import axis_angle_to_mat, make_pose, rot_z, wrap_angle, yaw_of
from .manipulation_env import ManipulationEnv
from .robots import GripperDescription
from .task_spec import RecipeStep, TaskSpec

NEIGHBOUR_RANGE = 0.15  # m between centres: a body nearer than this to a picked object can meet the open hand
# m: the built-in experts' 6 mm is half a flat object's height (the square nut is 12 mm tall): the
# pads would close over its top edge
DESCEND_TOLERANCE = 0.003
NARROW_MARGIN = 0.003  # m between a finger pad and the object's widest extent before closing on it
CLOSING_STEP = 0.003  # m per control step the finger targets move inward while closing
WRIST_MARGIN = 0.3  # rad kept from the wrist's limit, for the turns while carrying
JOINT_TOLERANCE = {"slide": 0.004, "hinge": 2.0}  # m, degrees: a pull or push has arrived within this of `to`
SEAT_BEYOND = {"slide": 0.02, "hinge": 8.0}  # m, degrees past a joint's stop a push to it aims (see _move_joint)
SEAT_STEPS = 4  # control steps a push to a stop keeps pressing after it arrived


def _symmetry(spec: TaskSpec, name: str) -> float:
    """The yaw (rad) after which body `name` looks the same."""
    return 2 * math.pi / spec.body(name).symmetry


def _clear_grasp_rotation(name: str, symmetry: float, key: str) -> Callable[[ManipulationEnv, dict], np.ndarray]:
    """Gripper-down rotation at one of `name`'s equivalent yaws (modulo `symmetry`), chosen on the
    first call (kept in `memory[key]` as an offset from the object's yaw, so the approach does not
    switch between two choices as things move); see `_grasp_yaw_offset`."""

    def rotation(env: ManipulationEnv, memory: dict) -> np.ndarray:
        obj_yaw = yaw_of(object_rot(env, name))
        if key not in memory:
            memory[key] = _grasp_yaw_offset(env, name, symmetry, obj_yaw)
        return rot_z(obj_yaw + memory[key]) @ gripper_down(env)

    return rotation


def _grasp_yaw_offset(env: ManipulationEnv, name: str, symmetry: float, obj_yaw: float) -> float:
    """Of the equivalent grasp yaws: those whose finger axis points most across the direction to the
    nearest other body, if one is within `NEIGHBOUR_RANGE` (the open hand spans ~20 cm along its
    fingers and would sweep a neighbour, e.g. a stack beside the cube, off the table; across them it
    is ~4 cm); of those, the ones the wrist reaches without its joint limit (a recipe's turns add
    up: the wrist may already be near it); of those, the smallest turn."""
    here = object_pos(env, name)[:2]
    current = yaw_of(env.eef_pose()[:3, :3])
    # the arm's last joint turns the hand about its vertical axis (the Panda's: ±2.9 rad, symmetric)
    arm = env.robot.arm
    wrist = float(env.data.qpos[env.model.joint(arm.joints[-1]).qposadr[0]])
    offsets = [k * symmetry for k in range(max(1, round(2 * np.pi / symmetry)))]
    gaps = sorted((float(np.linalg.norm(object_pos(env, o)[:2] - here)), o) for o in env.task.objects if o != name)
    if gaps and gaps[0][0] < NEIGHBOUR_RANGE:
        away = object_pos(env, gaps[0][1])[:2] - here
        away /= max(np.linalg.norm(away), 1e-9)

        def along_fingers(d: float) -> float:  # |cos| between the finger axis (TCP y) and the neighbour
            return abs(np.sin(obj_yaw + d) * away[0] - np.cos(obj_yaw + d) * away[1])

        best = min(map(along_fingers, offsets))
        offsets = [d for d in offsets if along_fingers(d) < best + 0.2]

    def cost(d: float) -> float:
        turn = float(wrap_angle(obj_yaw + d - current))
        # the wrist joint turns opposite to the TCP's yaw (its axis points down)
        beyond = max(0.0, abs(wrist - turn) - (arm.joint_upper[-1] - WRIST_MARGIN))
        return abs(turn) + 10.0 * beyond

    return min(offsets, key=cost)


def _closing(spec: TaskSpec, step: RecipeStep, grasp_pose: str, gripper: GripperDescription) -> list[Phase]:
    """Close on the object gently: first each finger to just outside it (the gripper is turned to
    it), then the finger targets inward `CLOSING_STEP` per control step, then fully closed. Closing
    from fully open in one command, the pads reach ~3 m/s and pass through a bar thinner than ~1 cm
    within one physics step (the square nut's are 8 mm)."""
    reach = max(spec.extents(step.object).footprint) + float(np.hypot(*step.grasp[:2])) + NARROW_MARGIN
    targets = np.arange(min(reach, gripper.open), 0.0, -CLOSING_STEP)
    hold = hold_here(grasp_pose)
    return [
        *(
            Phase("close", hold, gripper.command(q), hold=3 if i == 0 else 1, precise=True)
            for i, q in enumerate(targets)
        ),
        Phase("close", hold, CLOSED, hold=6, precise=True),
    ]


def _pick(spec: TaskSpec, step: RecipeStep, tag: str, gripper: GripperDescription) -> list[Phase]:
    sym, grasp_pose = _symmetry(spec, step.object), f"grasp_pose{tag}"
    rotation = _clear_grasp_rotation(step.object, sym, f"grasp_yaw{tag}")
    descend = at_grasp(step.object, 0.0, step.grasp)
    return [
        Phase("approach", above(step.object, step.approach, sym, step.grasp, rotation), OPEN, tolerance=0.012),
        Phase("descend", descend, OPEN, tolerance=DESCEND_TOLERANCE, precise=True, speed=0.6),
        *_closing(spec, step, grasp_pose, gripper),  # gripper commands: the inverse of gripper.target
        Phase("lift", hold_here(grasp_pose, lift=step.lift), CLOSED, tolerance=0.02),
    ]


def _via(step: RecipeStep, goal_yaw, point, upright: bool, sym: float) -> list[Phase]:
    """Carry the held object's `point` through each via point (offsets from the target's origin)."""

    def at(offset):
        return lambda env: object_pos(env, step.target) + offset

    return [Phase("via", carry_to(step.object, at(v), goal_yaw, point, upright, sym), CLOSED) for v in step.via]


def _target_point(step: RecipeStep, dz: float) -> Callable[[ManipulationEnv], np.ndarray]:
    """env → the point `step.at` of the target's frame (xy, turned with it), `dz` m above its origin."""
    if not any(step.at):
        return frame_pos(step.target, dz)
    at = np.array([*step.at, 0.0])
    return lambda env: object_pos(env, step.target) + object_rot(env, step.target) @ at + [0.0, 0.0, dz]


def _release(step: RecipeStep, tag: str) -> list[Phase]:
    release_pose = f"release_pose{tag}"
    return [
        Phase("release", hold_here(release_pose), OPEN, hold=6, precise=True),
        Phase("retreat", hold_here(release_pose, lift=step.retreat), OPEN, tolerance=0.02),
    ]


def _place_on(spec: TaskSpec, step: RecipeStep, tag: str, gripper: GripperDescription) -> list[Phase]:
    # the held object's origin when its bottom rests on the target's top
    rest = spec.extents(step.target).top + spec.extents(step.object).bottom
    goal_yaw = frame_yaw(step.target) if step.align_yaw else None
    sym = _symmetry(spec, step.object)

    def over(gap: float):
        return carry_to(step.object, _target_point(step, rest + gap), goal_yaw, symmetry=sym)

    return [
        *_via(step, goal_yaw, (0.0, 0.0, 0.0), False, sym),
        Phase("carry", over(step.clear), CLOSED, tolerance=0.01),
        # precise: a human-like 4 mm waypoint offset is half the release gap; pressing down shoves the support
        Phase("lower", over(step.release), CLOSED, tolerance=0.006, precise=True, speed=0.5),
        *_release(step, tag),
    ]


def _insert(spec: TaskSpec, step: RecipeStep, tag: str, gripper: GripperDescription) -> list[Phase]:
    # steer by the bottom, upright (PegInsert's): a tilt in the grasp cannot jam it
    bottom = (0.0, 0.0, -spec.extents(step.object).bottom)
    top, goal_yaw, sym = spec.extents(step.target).top, frame_yaw(step.target), _symmetry(spec, step.object)

    def over(gap: float):
        return carry_to(step.object, _target_point(step, top + gap), goal_yaw, bottom, upright=True, symmetry=sym)

    return [
        *_via(step, goal_yaw, bottom, True, sym),
        Phase("carry", over(step.clear), CLOSED, tolerance=0.01),
        Phase("align", over(step.clear), CLOSED, tolerance=0.0015, hold=4, precise=True, speed=0.4),
        Phase("insert", over(-step.depth), CLOSED, tolerance=0.002, precise=True, speed=0.3),
        *_release(step, tag),
    ]


def _thread(spec: TaskSpec, step: RecipeStep, tag: str, gripper: GripperDescription) -> list[Phase]:
    """Steer the held object's `tip` along the target's x axis through its `opening`: to `clear`
    before it, lined up there, then `depth` beyond it. Kept level (a needle held by one end droops
    in the fingers) and turned to the target's yaw, so the object's x axis runs along the opening's."""
    goal_yaw, sym = frame_yaw(step.target), _symmetry(spec, step.object)

    def along(distance: float):
        offset = np.asarray(step.opening) + [distance, 0.0, 0.0]

        def goal(env: ManipulationEnv) -> np.ndarray:
            return object_pos(env, step.target) + object_rot(env, step.target) @ offset

        return carry_to(step.object, goal, goal_yaw, step.tip, upright=True, symmetry=sym)

    return [
        Phase("carry", along(-step.clear), CLOSED, tolerance=0.01),
        Phase("align", along(-step.clear), CLOSED, tolerance=0.0015, hold=4, precise=True, speed=0.4),
        Phase("thread", along(step.depth), CLOSED, tolerance=0.002, precise=True, speed=0.3),
        *_release(step, tag),
    ]


def _joint_motion(joint: str, to: float) -> Callable[[ManipulationEnv, dict], np.ndarray]:
    """TCP pose that moves the gripped handle the rest of the way to joint value `to`: along a
    slide's axis by the remaining distance, or about a hinge's axis by the remaining angle (the
    gripper turning with the handle). Closed-loop on the joint's value, so the handle's own path,
    not the arm's, says when the drawer is open; the expert's speed limit paces it."""

    def target(env: ManipulationEnv, memory: dict) -> np.ndarray:
        m, d = env.model, env.data
        j = m.joint(joint).id
        tcp = env.eef_pose()
        rest = to - env.task.joint_value(joint)
        axis = d.xaxis[j]
        if m.jnt_type[j] == mujoco.mjtJoint.mjJNT_SLIDE:
            return make_pose(tcp[:3, 3] + axis * rest, tcp[:3, :3])
        turn = axis_angle_to_mat(axis * np.radians(rest))
        return make_pose(d.xanchor[j] + turn @ (tcp[:3, 3] - d.xanchor[j]), turn @ tcp[:3, :3])

    return target


def _steps(n: int, key: str) -> Callable[[ManipulationEnv, dict], bool]:
    """A phase's `until` that holds on its (n + 1)-th call: the phase lasts n control steps."""

    def until(env: ManipulationEnv, memory: dict) -> bool:
        memory[key] = memory.get(key, 0) + 1
        return memory[key] > n

    return until


def _move_joint(spec: TaskSpec, step: RecipeStep, tag: str, gripper: GripperDescription) -> list[Phase]:
    """Pull or push: grip the handle from above (fingers across it, either way round), move it along
    its joint to `to`, let go, back off. Pull and push differ only in the direction `to` lies.

    When `to` is one of the joint's limits (a drawer pushed shut), the motion aims past it and then
    presses the part against its stop for `SEAT_STEPS`: a person pushes a drawer home, not to 4 mm
    short of it. It also matters to generation, which replays the motion relative to where the
    handle was grasped: a drawer that a generated pull left a centimetre further out than the
    source's is still pushed home by waypoints that reach past the stop."""
    joint = spec.joint(step.joint)
    grasp_pose, tolerance = f"grasp_pose{tag}", JOINT_TOLERANCE[joint.kind]
    at_limit = joint.limits is not None and step.to in joint.limits
    beyond = SEAT_BEYOND[joint.kind] * (1 if joint.limits and step.to == joint.limits[1] else -1) if at_limit else 0.0

    def arrived(env: ManipulationEnv, memory: dict) -> bool:
        return abs(env.task.joint_value(step.joint) - step.to) < tolerance

    motion = _joint_motion(step.joint, step.to + beyond)
    return [
        Phase("approach", above(step.object, step.approach, np.pi, step.grasp), OPEN, tolerance=0.012),
        Phase("descend", at_grasp(step.object, 0.0, step.grasp), OPEN, tolerance=DESCEND_TOLERANCE, precise=True),
        *_closing(spec, step, grasp_pose, gripper),
        # precise: the handle guides a hand along its motion; a waypoint offset would pull it off the handle
        Phase(step.do, motion, CLOSED, until=arrived, precise=True, speed=0.6),
        *([Phase("seat", motion, CLOSED, until=_steps(SEAT_STEPS, f"seat{tag}"), precise=True)] if at_limit else []),
        *_release(step, tag),
    ]


STEPS: dict[str, Callable[[TaskSpec, RecipeStep, str, GripperDescription], list[Phase]]] = {
    "pick": _pick,
    "place_on": _place_on,
    "insert": _insert,
    "thread": _thread,
    "pull": _move_joint,
    "push": _move_joint,
}


def recipe_phases(env: ManipulationEnv) -> list[Phase]:
    """The phases of the recipe of `env`'s task (a file task's config is its `TaskSpec`). Each step
    keeps its own captured poses (`tag`): a second pick must not reuse the first one's grasp pose.
    The last phase holds until the episode ends (`ScriptedExpert` never moves past it)."""
    spec: TaskSpec = env.task.config
    gripper = env.robot.arm.gripper
    return [p for i, step in enumerate(spec.recipe) for p in STEPS[step.do](spec, step, str(i), gripper)]
