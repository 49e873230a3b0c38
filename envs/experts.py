"""Scripted waypoint experts, one per task, with an optional human-like imperfection.

An expert is a list of phases (approach, grasp, lift, move, place/insert). Each phase names a
target TCP pose computed from the *live* object poses every step, so the expert is closed-loop:
it corrects for slip in the grasp and for shifted physics. Human-like mode adds what a
teleoperator does: a smooth offset on every waypoint, a speed that varies from phase to phase,
short hesitations, and low-frequency jitter on the commanded motion.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from .control import EE_DELTA_DIM
from .errors import ConfigError, UnknownNameError
from .geometry import axis_angle_to_mat, make_pose, mat_to_axis_angle, rot_z, wrap_angle, yaw_of
from .manipulation_env import ManipulationEnv
from .plugins import Registry

OPEN, CLOSED = -1.0, 1.0


def gripper_down(env: ManipulationEnv) -> np.ndarray:
    """(3, 3) TCP rotation with the gripper pointing at the table, the robot's home orientation (the
    Panda's: TCP z down, fingers closing along world y). A 180° turn: its own inverse."""
    return env.robot.arm.gripper_down


@dataclass(frozen=True)
class ExpertConfig:
    max_speed: float = 0.7  # fraction of the controller's max TCP step used when far from a waypoint
    # Fraction of the remaining error commanded per step. Below 1 on purpose: with one step of
    # actuation latency, a full-error (gain 1) proportional loop sits on the edge of oscillation.
    gain: float = 0.5
    human_like: bool = False
    waypoint_noise: float = 0.004  # m, std of the per-waypoint offset (human-like only)
    speed_range: tuple[float, float] = (0.45, 1.0)  # per-phase speed factor (human-like only)
    pause_prob: float = 0.02  # chance per step to hesitate (human-like only)
    pause_steps: tuple[int, int] = (2, 8)  # hesitation length, steps
    jitter: float = 0.04  # std of the smooth action jitter, in action units (human-like only)
    jitter_smoothing: float = 0.85  # AR(1) coefficient: how slowly the jitter wanders


@dataclass
class Phase:
    """One waypoint: where the TCP should go (computed from the env each step) and what the
    gripper does. Done when within `tolerance` (m) for `hold` consecutive steps, or when `until`
    says so. `precise` phases get no waypoint noise (grasps and insertions need exact poses)."""

    name: str
    target: Callable[[ManipulationEnv, dict], np.ndarray]  # → (4, 4) TCP target pose
    gripper: float
    tolerance: float = 0.01
    hold: int = 1
    until: Callable[[ManipulationEnv, dict], bool] | None = None
    precise: bool = False
    speed: float = 1.0  # phase-specific slowdown (insertion, placing)


def aligned_grasp_rotation(env: ManipulationEnv, obj_rot: np.ndarray, symmetry: float = np.pi / 2) -> np.ndarray:
    """Gripper-down rotation whose yaw matches the object's, modulo its symmetry, choosing the
    equivalent yaw nearest to the gripper's current one (no needless wrist spins)."""
    # The gripper's yaw counted from the robot's home orientation: an arm whose TCP x axis points
    # another way at home (not the Panda's world +x) turns no needless half turn. 0.0 for the Panda.
    current = yaw_of(env.eef_pose()[:3, :3]) - yaw_of(gripper_down(env))
    obj = yaw_of(obj_rot)
    k = np.round((current - obj) / symmetry)
    return rot_z(obj + k * symmetry) @ gripper_down(env)


class ScriptedExpert:
    """Runs a task's phases. Use: `expert.reset(rng)` after `env.reset`, then `expert.act(env)`."""

    def __init__(self, phases: list[Phase], config: ExpertConfig | None = None):
        self.phases = phases
        self.config = config or ExpertConfig()
        self.reset(np.random.default_rng(0))

    def reset(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.index = 0
        self.held = 0
        self.memory: dict = {}
        self.pause_left = 0
        self.jitter = np.zeros(6)
        self._draw_phase_noise()

    @property
    def phase(self) -> Phase:
        return self.phases[min(self.index, len(self.phases) - 1)]

    def _draw_phase_noise(self) -> None:
        c = self.config
        self.offset = np.zeros(3)
        self.speed = 1.0
        if c.human_like:
            if not self.phase.precise:
                self.offset = self.rng.normal(0.0, c.waypoint_noise, 3)
            self.speed = self.rng.uniform(*c.speed_range)

    def act(self, env: ManipulationEnv) -> np.ndarray:
        """The (7,) ee_delta action for the current state."""
        phase = self.phase
        target = phase.target(env, self.memory).copy()
        target[:3, 3] += self.offset
        current = env.eef_pose()
        error = target[:3, 3] - current[:3, 3]
        rot_error = mat_to_axis_angle(target[:3, :3] @ current[:3, :3].T)
        if np.linalg.norm(error) < phase.tolerance and np.linalg.norm(rot_error) < 0.1:
            self.held += 1
        if (phase.until is not None and phase.until(env, self.memory)) or (
            phase.until is None and self.held >= phase.hold
        ):
            if self.index < len(self.phases) - 1:
                self.index += 1
                self.held = 0
                self._draw_phase_noise()

        ctrl = env.config.controller
        step = self.config.max_speed * self.speed * phase.speed * ctrl.max_pos_delta / self.config.gain
        norm = np.linalg.norm(error)
        if norm > step:  # far away: cruise at the speed limit, not proportionally
            error = error * (step / norm)
        action = np.zeros(EE_DELTA_DIM)
        action[:3] = self.config.gain * error / ctrl.max_pos_delta
        action[3:6] = np.clip(self.config.gain * rot_error / ctrl.max_rot_delta, -0.5, 0.5)
        action[6] = phase.gripper
        if self.config.human_like:
            action = self._humanize(action)
        return np.clip(action, -1.0, 1.0).astype(np.float32)

    def _humanize(self, action: np.ndarray) -> np.ndarray:
        c = self.config
        if self.pause_left > 0:
            self.pause_left -= 1
            action[:6] = 0.0
            return action
        if not self.phase.precise and self.rng.random() < c.pause_prob:
            self.pause_left = int(self.rng.integers(*c.pause_steps))
        a = c.jitter_smoothing
        self.jitter = a * self.jitter + np.sqrt(1 - a * a) * self.rng.normal(0.0, c.jitter, 6)
        if not self.phase.precise:  # careful where it matters: grasps and insertions
            action[:6] += self.jitter
        return action


# Phase helpers shared by the task experts -----------------------------------------------------


def object_rot(env: ManipulationEnv, name: str) -> np.ndarray:
    """(3, 3) world rotation of task object `name` now (a part of an articulated body turns with its joint)."""
    return env.object_poses()[name][:3, :3]


def object_pos(env: ManipulationEnv, name: str) -> np.ndarray:
    """(3,) world position (m) of task object `name` now, a copy."""
    return env.sim.body_pos(env.task.object_bodies[env.task.objects.index(name)]).copy()


def _grasp_offset(env: ManipulationEnv, memory: dict, point: tuple[float, float, float]) -> np.ndarray:
    """`point` (in the object's frame turned to the yaw chosen on approach, so the same side of a
    symmetric object as the gripper faces) as a world offset (m)."""
    if not any(point):
        return np.zeros(3)
    return memory["grasp_rot"] @ gripper_down(env) @ np.asarray(point, dtype=float)  # gripper_down is its own inverse


def above(
    name: str,
    height: float,
    symmetry: float = np.pi / 2,
    point: tuple[float, float, float] = (0.0, 0.0, 0.0),
    rotation: Callable[[ManipulationEnv, dict], np.ndarray] | None = None,
) -> Callable[[ManipulationEnv, dict], np.ndarray]:
    """TCP `height` m above object `name` (above its grasp `point`, see `_grasp_offset`), gripper yaw
    aligned with it modulo `symmetry` (rad), or the gripper rotation `rotation(env, memory)` gives."""

    def target(env: ManipulationEnv, memory: dict) -> np.ndarray:
        if rotation is None:
            rot = aligned_grasp_rotation(env, object_rot(env, name), symmetry)
        else:
            rot = rotation(env, memory)
        memory["grasp_rot"] = rot
        return make_pose(object_pos(env, name) + [0.0, 0.0, height] + _grasp_offset(env, memory, point), rot)

    return target


def at_grasp(
    name: str, z_offset: float = 0.0, point: tuple[float, float, float] = (0.0, 0.0, 0.0)
) -> Callable[[ManipulationEnv, dict], np.ndarray]:
    """TCP at the object's centre (+ z_offset, + its grasp `point`), keeping the rotation chosen on approach."""

    def target(env: ManipulationEnv, memory: dict) -> np.ndarray:
        pos = object_pos(env, name) + [0.0, 0.0, z_offset] + _grasp_offset(env, memory, point)
        return make_pose(pos, memory["grasp_rot"])

    return target


def hold_here(key: str, lift: float = 0.0) -> Callable[[ManipulationEnv, dict], np.ndarray]:
    """The TCP pose captured on the phase's first step (raised by `lift` m), then held fixed."""

    def target(env: ManipulationEnv, memory: dict) -> np.ndarray:
        if key not in memory:
            memory[key] = env.eef_pose()
        pose = memory[key].copy()
        pose[2, 3] += lift
        return pose

    return target


def carry_to(
    name: str,
    goal: Callable[[ManipulationEnv], np.ndarray],
    goal_yaw: Callable[[ManipulationEnv], float] | None = None,
    point: tuple[float, float, float] = (0.0, 0.0, 0.0),
    upright: bool = False,
    symmetry: float = np.pi / 2,
) -> Callable[[ManipulationEnv, dict], np.ndarray]:
    """TCP pose that puts a point of the held object (`point`, in the object's frame) at
    `goal(env)`. The live TCP-to-point offset absorbs any slip in the grasp. With `goal_yaw`, also
    turns the object to that yaw (mod `symmetry`, rad: the shortest turn to an equivalent yaw); with
    `upright`, also tilts it back to vertical."""

    def target(env: ManipulationEnv, memory: dict) -> np.ndarray:
        tcp = env.eef_pose()
        obj = env.object_poses()[name]
        obj_point = obj[:3, :3] @ np.asarray(point) + obj[:3, 3]
        turn = np.eye(3)
        if upright:  # the rotation taking the object's z axis back onto world z
            z = obj[:3, 2]
            axis = np.cross(z, [0.0, 0.0, 1.0])
            turn = axis_angle_to_mat(axis / max(np.linalg.norm(axis), 1e-9) * np.arccos(np.clip(z[2], -1, 1)))
        if goal_yaw is not None:
            d = wrap_angle(goal_yaw(env) - yaw_of(obj[:3, :3]))
            turn = rot_z((d + symmetry / 2) % symmetry - symmetry / 2) @ turn
        # Rotating the TCP by `turn` about the object point carries the point along unchanged.
        rot = turn @ tcp[:3, :3]
        offset = turn @ (tcp[:3, 3] - obj_point)
        return make_pose(goal(env) + offset, rot)

    return target


# The four task experts ------------------------------------------------------------------------


def _grasp_phases(name: str, approach_height: float = 0.08, grasp_z: float = 0.0) -> list[Phase]:
    return [
        Phase("approach", above(name, approach_height), OPEN, tolerance=0.012),
        Phase("descend", at_grasp(name, grasp_z), OPEN, tolerance=0.006, precise=True, speed=0.6),
        Phase("close", hold_here("grasp_pose"), CLOSED, hold=6, precise=True),
    ]


def lift_phases(env: ManipulationEnv) -> list[Phase]:
    return [
        *_grasp_phases("cube"),
        Phase("lift", hold_here("grasp_pose", lift=0.15), CLOSED, tolerance=0.01, hold=10**6),
    ]


def frame_pos(name: str, dz: float) -> Callable[[ManipulationEnv], np.ndarray]:
    """env → the point `dz` m above object `name`'s origin, live (for `carry_to`'s goal)."""
    return lambda env: object_pos(env, name) + [0.0, 0.0, dz]


def frame_yaw(name: str) -> Callable[[ManipulationEnv], float]:
    """env → object `name`'s yaw (rad), live (for `carry_to`'s goal_yaw)."""
    return lambda env: yaw_of(object_rot(env, name))


def _place_phases(name: str, onto: str, clear_dz: float, place_dz: float, yaw: bool) -> list[Phase]:
    """Lift the held object, carry it `clear_dz` m above frame `onto`, lower it to `place_dz`,
    let go, and back off upward."""
    goal_yaw = frame_yaw(onto) if yaw else None
    return [
        Phase("lift", hold_here("grasp_pose", lift=0.1), CLOSED, tolerance=0.02),
        Phase("carry", carry_to(name, frame_pos(onto, clear_dz), goal_yaw), CLOSED, tolerance=0.01),
        Phase("lower", carry_to(name, frame_pos(onto, place_dz), goal_yaw), CLOSED, tolerance=0.006, speed=0.5),
        Phase("release", hold_here("release_pose"), OPEN, hold=6, precise=True),
        Phase("retreat", hold_here("release_pose", lift=0.1), OPEN, hold=10**6),
    ]


def stack_phases(env: ManipulationEnv) -> list[Phase]:
    c = env.task.config
    rest = c.cube_b_half_size + c.cube_a_half_size
    # Let go 1 cm above resting height: pressing A down onto B's edge shoves B across the table.
    return [*_grasp_phases("cubeA"), *_place_phases("cubeA", "cubeB", rest + 0.04, rest + 0.01, yaw=False)]


def pick_place_phases(env: ManipulationEnv) -> list[Phase]:
    c = env.task.config
    hz = c.object_half_size[2]
    return [
        *_grasp_phases("object"),
        *_place_phases("object", "bin", c.bin_wall_height + hz + 0.04, hz + 0.02, yaw=False),
    ]


def peg_insert_phases(env: ManipulationEnv) -> list[Phase]:
    c = env.task.config
    hz = c.peg_half_size[2]
    grip = hz - 0.02  # TCP 2 cm below the peg's top: most of the peg hangs below the fingers
    bottom = (0.0, 0.0, -hz)  # steer by the peg's tip, upright, so a tilt in the grasp cannot jam it

    def over_socket(dz: float):
        return carry_to("peg", frame_pos("socket", dz), frame_yaw("socket"), point=bottom, upright=True)

    return [
        *_grasp_phases("peg", approach_height=grip + 0.06, grasp_z=grip),
        Phase("lift", hold_here("grasp_pose", lift=0.12), CLOSED, tolerance=0.02),
        Phase("carry", over_socket(c.socket_height + 0.015), CLOSED, tolerance=0.01),
        Phase("align", over_socket(c.socket_height + 0.015), CLOSED, tolerance=0.0015, hold=4, precise=True, speed=0.4),
        Phase("insert", over_socket(-0.005), CLOSED, tolerance=0.002, hold=10**6, precise=True, speed=0.3),
    ]


ExpertPhases = Callable[[ManipulationEnv], list[Phase]]


def _expert_entry(task: str, phases: Any) -> ExpertPhases:
    if not callable(phases):
        raise ConfigError(f"scripted expert for task {task!r}: expected a function env → list[Phase], got {phases!r}")
    return phases


# task name → its phases (built-ins; `register_expert` and entry points in `demoforge.experts` add to it)
EXPERTS: Registry[ExpertPhases] = Registry(
    "demoforge.experts",
    "scripted expert",
    {"Lift": lift_phases, "Stack": stack_phases, "PickPlace": pick_place_phases, "PegInsert": peg_insert_phases},
    check=_expert_entry,
    adder="demoforge.register_expert",
)


def register_expert(task: str, phases: ExpertPhases) -> None:
    """Make `phases` (env → the list of `Phase`s, computed at each reset) the scripted expert of task
    `task`, in this process and in the worker processes demoforge starts from it."""
    EXPERTS.add(task, phases)


def make_expert(env: ManipulationEnv, config: ExpertConfig | None = None) -> ScriptedExpert:
    """The scripted expert for `env`'s task."""
    if env.task.name not in EXPERTS:
        raise UnknownNameError(f"no scripted expert for task {env.task.name!r}; experts: {EXPERTS.known()}")
    return ScriptedExpert(EXPERTS[env.task.name](env), config)


def run_expert_episode(
    env: gym.Env, seed: int, config: ExpertConfig | None = None, max_steps: int | None = None
) -> tuple[bool, int]:
    """Roll out the expert once from `env.reset(seed=seed)`; returns (success, steps).

    `env` may be wrapped (e.g. in a domain profile): the expert reads the true state from
    `env.unwrapped` and acts through `env.step`, so latency and action noise reach it."""
    base = env.unwrapped
    env.reset(seed=seed)
    expert = make_expert(base, config)
    expert.reset(np.random.default_rng(seed))
    limit = max_steps or base.task.max_episode_steps
    for t in range(limit):
        _, _, terminated, truncated, info = env.step(expert.act(base))
        if terminated or truncated:
            return bool(info["is_success"]), t + 1
    return False, limit
