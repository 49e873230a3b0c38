"""The scripted expert of a task file with a `[[recipe]]`: its steps become the phases of the
built-in experts (`experts.py`), so a file task's expert moves, grasps, slows down and is human-like
(`ExpertConfig`) exactly as theirs do.

- pick: approach above the grasp point, descend, close, lift (Lift's and Stack's grasp);
- place_on: carry the held object over the target, turned to its yaw, lower, open, back off
  (Stack's and PickPlace's place);
- insert: carry the held object's bottom over the target, upright and turned to it, align
  precisely, push it down, open, back off (PegInsert's insertion, then a release).

Heights come from the bodies' extents (`BodySpec.top`/`bottom`), so a recipe says gaps, not
coordinates. `recipe_phases` is the entry registered in `EXPERTS` for such a file's task: a
top-level function that reads the recipe from the env's task config, so it reaches spawned workers
by reference, as the task itself does.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .experts import CLOSED, OPEN, Phase, _frame_pos, _frame_yaw, _object_pos, above, at_grasp, carry_to, hold_here
from .manipulation_env import ManipulationEnv
from .task_spec import RecipeStep, TaskSpec

def _symmetry(spec: TaskSpec, name: str) -> float:
    """The yaw (rad) after which body `name` looks the same."""
    return 2 * math.pi / spec.body(name).symmetry


def _pick(spec: TaskSpec, step: RecipeStep, tag: str) -> list[Phase]:
    sym, grasp_pose = _symmetry(spec, step.object), f"grasp_pose{tag}"
    return [
        Phase("approach", above(step.object, step.approach, sym, step.grasp), OPEN, tolerance=0.012),
        Phase("descend", at_grasp(step.object, 0.0, step.grasp), OPEN, tolerance=0.006, precise=True, speed=0.6),
        Phase("close", hold_here(grasp_pose), CLOSED, hold=6, precise=True),
        Phase("lift", hold_here(grasp_pose, lift=step.lift), CLOSED, tolerance=0.02),
    ]


def _via(step: RecipeStep, goal_yaw, point, upright: bool, sym: float) -> list[Phase]:
    """Carry the held object's `point` through each via point (offsets from the target's origin)."""

    def at(offset):
        return lambda env: _object_pos(env, step.target) + offset

    return [Phase("via", carry_to(step.object, at(v), goal_yaw, point, upright, sym), CLOSED) for v in step.via]


def _release(step: RecipeStep, tag: str) -> list[Phase]:
    release_pose = f"release_pose{tag}"
    return [
        Phase("release", hold_here(release_pose), OPEN, hold=6, precise=True),
        Phase("retreat", hold_here(release_pose, lift=step.retreat), OPEN, tolerance=0.02),
    ]


def _place_on(spec: TaskSpec, step: RecipeStep, tag: str) -> list[Phase]:
    # the held object's origin when its bottom rests on the target's top
    rest = spec.body(step.target).top + spec.body(step.object).bottom
    goal_yaw = _frame_yaw(step.target) if step.align_yaw else None
    sym = _symmetry(spec, step.object)

    def over(gap: float):
        return carry_to(step.object, _frame_pos(step.target, rest + gap), goal_yaw, symmetry=sym)

    return [
        *_via(step, goal_yaw, (0.0, 0.0, 0.0), False, sym),
        Phase("carry", over(step.clear), CLOSED, tolerance=0.01),
        Phase("lower", over(step.release), CLOSED, tolerance=0.006, speed=0.5),
        *_release(step, tag),
    ]


def _insert(spec: TaskSpec, step: RecipeStep, tag: str) -> list[Phase]:
    # steer by the bottom, upright (PegInsert's): a tilt in the grasp cannot jam it
    bottom = (0.0, 0.0, -spec.body(step.object).bottom)
    top, goal_yaw, sym = spec.body(step.target).top, _frame_yaw(step.target), _symmetry(spec, step.object)

    def over(gap: float):
        return carry_to(step.object, _frame_pos(step.target, top + gap), goal_yaw, bottom, upright=True, symmetry=sym)

    return [
        *_via(step, goal_yaw, bottom, True, sym),
        Phase("carry", over(step.clear), CLOSED, tolerance=0.01),
        Phase("align", over(step.clear), CLOSED, tolerance=0.0015, hold=4, precise=True, speed=0.4),
        Phase("insert", over(-step.depth), CLOSED, tolerance=0.002, precise=True, speed=0.3),
        *_release(step, tag),
    ]


STEPS: dict[str, Callable[[TaskSpec, RecipeStep, str], list[Phase]]] = {
    "pick": _pick,
    "place_on": _place_on,
    "insert": _insert,
}


def recipe_phases(env: ManipulationEnv) -> list[Phase]:
    """The phases of the recipe of `env`'s task (a file task's config is its `TaskSpec`). Each step
    keeps its own captured poses (`tag`): a second pick must not reuse the first one's grasp pose.
    The last phase holds until the episode ends (`ScriptedExpert` never moves past it)."""
    spec: TaskSpec = env.task.config
    return [p for i, step in enumerate(spec.recipe) for p in STEPS[step.do](spec, step, str(i))]
