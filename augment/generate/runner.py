"""One generation attempt: reset a randomized scene, then for each subtask select a source
segment, transform it into the object's new frame, stitch it onto the current pose and execute
it through the controller, recording every frame. Only this module touches an env.

Attempt j is a pure function of (run seed, j): the env seed and every random draw (selection,
action noise) derive from it, so results do not depend on which worker ran it or when.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ...envs import EnvConfig, ManipulationEnv, make_task_env, resolve_task_name
from ...envs.control import ControllerConfig
from ...envs.geometry import axis_angle_to_mat, pose_inv
from ...envs.manipulation_env import ee_action
from ..data.dataset import Dataset, DatasetError, Episode
from ..data.record import EpisodeRecorder, features_for, task_description
from ..data.robot_layout import chosen_robot
from ..domain.wrapper import DomainRandomizationWrapper, EpisodeDomain
from ..io.mapping import check_feature_shapes
from .compress import compress_segment, shortcut_loops
from .config import GenerateConfig
from .segment import SourceSegment, segment_episode
from .select import get_strategy
from .stitch import WaypointSequence, gripper_switches, stitch
from .transform import (
    MAX_ANCHOR_TILT,
    eef_target_for_object,
    in_hand_correction,
    least_turn_frame,
    nearest_symmetric_frame,
    tilt_between,
    transform_segment,
)


class SceneView(Protocol):
    """Where the TCP and the task objects are now, in the world frame: a `ManipulationEnv`, or one
    simulation of the batched runner."""

    def eef_pose(self) -> np.ndarray: ...  # (4, 4)

    def object_poses(self) -> dict[str, np.ndarray]: ...  # name → (4, 4)


Plan = Generator[tuple[WaypointSequence, bool], str, str | None]


def drive(plan: Plan, execute: Callable[[WaypointSequence, bool], str]) -> str | None:
    """Run an attempt's plan to its end, executing each sequence it yields; its failure cause."""
    try:
        request = next(plan)
        while True:
            request = plan.send(execute(*request))
    except StopIteration as stop:
        return stop.value


@dataclass
class AttemptResult:
    attempt: int
    episode: Episode | None  # None when the attempt failed
    cause: str | None = None  # why it failed: "subtask 0 (grasped)", "physics diverged", "timeout"
    segments: list[dict[str, Any]] = field(default_factory=list)
    steps: int = 0  # env steps the attempt took (throughput accounting; not stored)


def attempt_seeds(run_seed: int, attempt: int) -> tuple[int, np.random.Generator]:
    """(env reset seed, generator for selection and noise) of attempt `attempt`."""
    env_seed = int(np.random.SeedSequence([run_seed, attempt]).generate_state(1)[0])
    return env_seed, np.random.default_rng([run_seed, attempt, 1])


def source_task(source: Dataset, task: str | None) -> str:
    tasks = {source.meta(i).get("task") for i in range(len(source))} - {None}
    if task:  # the registered name, also of a task file's path, is what the output records
        return resolve_task_name(task)
    if len(tasks) != 1:
        raise DatasetError(
            f"source {source.root}: cannot tell the task from its episodes ({tasks or 'none recorded'}); pass --task"
        )
    return tasks.pop()


def quiet_steps(gripper: np.ndarray, n: int) -> np.ndarray:
    """(T,) bool: the steps executed without action noise — the `n` before each gripper switch and
    the last `n` of a segment, where contact decides the outcome (a grasp, an insertion with 3 mm
    of clearance). Elsewhere the noise widens the states a policy learns from, as in MimicGen."""
    quiet = np.zeros(len(gripper), bool)
    if n <= 0:
        return quiet
    quiet[-n:] = True
    for s in gripper_switches(gripper):
        quiet[max(s - n, 0) : s + 1] = True
    return quiet


# The plain tracker (a share g of the error it sees, each step) is stable under L steps of latency
# while g < 2·sin(π / (4L + 2)): 1.0 at L = 1, 0.62 at L = 2, 0.45 at L = 3. With the default gain
# 0.6 it needs help from 2 steps on. Below that it is left as it was: compensating at one step too
# changed the data `randomized` gives (half its episodes have a step of latency) and PegInsert's
# synthetic-only policy fell from 43/50 to 28/50 in `randomized` (45/50 against 41/50 in `target`).
COMPENSATED_LATENCY = 2


def predicted_pose(eef: np.ndarray, in_flight: Sequence[np.ndarray], controller: ControllerConfig) -> np.ndarray:
    """Where the TCP at `eef` (4, 4) will be once the ee_delta actions still in flight have been
    applied, each moving it by its own displacement: a Smith predictor. Under L steps of latency
    a tracker that commands a share of the error it sees now commands the same error L + 1 times
    and rings (with the default gain 0.6 the loop is at its stability limit at L = 2); taking the
    error from the predicted pose it behaves as without latency, L steps later. Measured:
    docs/calibration.md."""
    pose = eef.copy()
    for a in in_flight:
        pose[:3, 3] += a[:3] * controller.max_pos_delta
        pose[:3, :3] = axis_angle_to_mat(a[3:6] * controller.max_rot_delta) @ pose[:3, :3]
    return pose


class AttemptRunner:
    """Holds the env and the segmented source demos; `run(j)` performs attempt j."""

    def __init__(self, source_dir: str | Path, task: str | None, config: GenerateConfig):
        self.config = config
        with Dataset(source_dir) as source:  # read once here: nothing of it stays open
            self._load_sources(source, source_dir, task, config)
        self.select = get_strategy(config.selection)
        self.features = features_for(self.base, config.cameras, config.image_size)

    def _load_sources(self, source: Dataset, source_dir: str | Path, task: str | None, config: GenerateConfig) -> None:
        """The env for the source's task, and the source demos cut into compressed subtask segments."""
        if len(source) == 0:
            raise DatasetError(f"source {source_dir}: has no episodes")
        self.task = source_task(source, task)
        # The robot that recorded the source, unless the config names one that fits it.
        robot = chosen_robot(source.info, config.robot, f"source {source_dir}")
        env_cfg = EnvConfig(cameras=config.cameras, image_size=config.image_size, robot=robot)
        self.env = DomainRandomizationWrapper(make_task_env(self.task, config=env_cfg), config.profile)
        self.base: ManipulationEnv = self.env.unwrapped
        self.task_spec = self.base.task  # the decomposition and symmetries; its state is the env's
        ctrl = self.controller = self.base.config.controller
        signal_names = list(self.base.task.signals())
        self.segments: list[list[SourceSegment]] = [[] for _ in self.base.task.subtasks]
        self.source_starts = []  # (n_objects, 7) initial object poses of each source demo
        for i in range(len(source)):
            ep = source.episode(i, videos=False)
            check_feature_shapes(f"source {source_dir} episode {i}", ep.data)  # one line, not a reshape error
            for seg in segment_episode(
                ep,
                i,
                self.base.task.subtasks,
                self.base.task.objects,
                signal_names,
                ctrl.max_pos_delta,
                ctrl.max_rot_delta,
                config.subtask_offset,
            ):
                carrying = any(sub.grasp for sub in self.base.task.subtasks[: seg.subtask])
                seg = compress_segment(
                    shortcut_loops(seg, config.loop_radius) if carrying else seg,
                    config.idle_min_motion,
                    config.idle_min_rotation,
                    config.idle_keep_after_switch,
                    config.idle_keep_arrival,
                )
                self.segments[seg.subtask].append(seg)
            self.source_starts.append(ep.data["datagen.object_poses"][0].reshape(-1, 7))
        for k, segs in enumerate(self.segments):
            if not segs:
                raise DatasetError(
                    f"source {source_dir}: no usable segment for subtask {k} ({self.base.task.subtasks[k]}) in "
                    f"{len(source)} episodes (each either never reached it or moved its reference object)"
                )
        self.source_count = len(source)

    def run(self, attempt: int) -> AttemptResult:
        cfg = self.config
        env_seed, rng = attempt_seeds(cfg.seed, attempt)
        obs, info = self.env.reset(seed=env_seed)
        recorder = EpisodeRecorder(self.base, cfg.cameras)
        state = {"obs": obs, "signals": info["subtasks"], "gripper": -1.0}
        used: list[dict[str, Any]] = []
        plan: Plan = self.plan(self.base, state, rng, used)
        cause = drive(plan, lambda seq, noise: self._execute(seq, recorder, state, rng, noise))
        steps = self.base._steps
        if cause is not None:
            return AttemptResult(attempt, None, cause, used, steps)
        episode = self.finish(recorder, env_seed, attempt, info["domain"], used)
        return AttemptResult(attempt, episode, None, used, steps)

    def plan(self, view: SceneView, state: dict, rng: np.random.Generator, used: list[dict[str, Any]]) -> Plan:
        """One attempt's datagen after its reset, as a generator: for each subtask select a source
        segment, transform and stitch it, yield (waypoints, with action noise) to be executed and
        receive the outcome ('running', 'success', 'diverged', 'timeout', 'terminated'). Returns
        the failure cause, or None once the task succeeded. `view` answers where the TCP and the
        objects are now; `state` (obs, signals, gripper, held, last_target) is kept current by
        whoever executes. The per-attempt runner executes each sequence through its env; the
        batched one executes many attempts' sequences in lockstep."""
        cfg, task = self.config, self.task_spec
        outcome = "running"
        for k, sub in enumerate(task.subtasks):
            for tries in range(cfg.subtask_retries + 1):
                obj_now = view.object_poses()[sub.object]
                carried = k > 0 and task.subtasks[k - 1].object == sub.object  # may tilt in the hand
                seg = self.select(self.segments[k], obj_now, view.eef_pose(), rng, k=cfg.nn_k)
                if not carried and tilt_between(obj_now, seg.object_pose) > MAX_ANCHOR_TILT:
                    return f"subtask {k} ({sub.object} tipped over)"  # from how the source found it
                frame = nearest_symmetric_frame(obj_now, seg.object_pose, task.symmetry.get(sub.object, 1))
                if carried:
                    # A stage anchored on the object in the hand (Lift's lift) moves it relative to
                    # the table, whose height never changes: keep the source's heights. Anchored on
                    # where the object happens to be, a grasp that lagged the source's (latency, a
                    # soft arm) lowers every target of the stage by as much, and the lift ends short.
                    frame[2, 3] = seg.object_pose[2, 3]
                poses = transform_segment(seg.targets, seg.object_pose, frame)
                held = self._held_object(k, state)
                object_targets = None
                if held is not None:
                    i = task.objects.index(held)
                    held_src = seg.object_poses[i]
                    held_now = nearest_symmetric_frame(view.object_poses()[held], held_src, task.symmetry.get(held, 1))
                    held_path = transform_segment(seg.object_targets[:, i], seg.object_pose, frame)
                    if cfg.least_turn:
                        held_now = least_turn_frame(held_now, held_path[-1], task.symmetry.get(held, 1))
                    poses = poses @ in_hand_correction(seg.eef_pose, held_src, view.eef_pose(), held_now)
                    if cfg.track_held_object:
                        # the symmetric frame chosen now, kept for the whole segment
                        state["held"] = (
                            held,
                            pose_inv(view.object_poses()[held]) @ held_now,
                            task.subtasks[k - 1].signal,
                        )
                        object_targets = held_path
                seq = stitch(
                    view.eef_pose(),
                    state["gripper"],
                    poses,
                    seg.gripper,
                    cfg.interpolation_steps,
                    cfg.fixed_steps,
                    cfg.gripper_hold_steps,
                    object_targets,
                )
                state["last_target"] = seq.poses[-1]
                used.append(
                    {"subtask": k, "source_episode": seg.source_episode, "frames": [seg.start, seg.end], "try": tries}
                )
                outcome = yield seq, True
                if outcome != "running" or sub.signal is None or state["signals"].get(sub.signal):
                    break
            if outcome != "running":
                break
            if sub.signal is not None and not state["signals"].get(sub.signal):
                return f"subtask {k} ({sub.signal})"
        if outcome == "running":  # all segments played: hold still and let the task register
            # keep tracking the last waypoint: the arm trails it, and stopping where it is now
            # would leave a lift a few millimetres short
            last = state["last_target"][None]
            hold = WaypointSequence(np.repeat(last, cfg.settle_steps, 0), np.full(cfg.settle_steps, state["gripper"]))
            outcome = yield hold, False
        if outcome != "success":
            return {"running": f"subtask {len(task.subtasks) - 1} (success)", "diverged": "physics diverged"}.get(
                outcome, outcome
            )
        return None

    def finish(
        self, recorder: EpisodeRecorder, env_seed: int, attempt: int, domain: dict, used: list[dict[str, Any]]
    ) -> Episode:
        """The kept attempt's episode, with its metadata and statistics."""
        meta = {
            "task": self.task_spec.name,
            "seed": env_seed,
            "attempt": attempt,
            "profile": self.env.profile.name,
            "domain": domain,
            "success": True,
            "source": "synthetic",
            "origin": {"segments": used},
        }
        episode = recorder.finish(task_description(self.task_spec.name), meta)
        episode.stats = episode.feature_stats()  # here, in the worker: off the writer's critical path
        return episode

    def _held_object(self, k: int, state: dict) -> str | None:
        """The object carried into subtask k: grasped in the last grasp stage before k, still
        held, and not the subtask's own reference (then there is nothing to correct)."""
        subtasks = self.task_spec.subtasks
        grasps = [j for j in range(k) if subtasks[j].grasp]
        if not self.config.in_hand_correction or not grasps:
            return None
        grasp = subtasks[grasps[-1]]
        return grasp.object if grasp.object != subtasks[k].object and state["signals"].get(grasp.signal) else None

    def tracking_target(
        self, view: SceneView, object_target: np.ndarray, state: dict, fallback: np.ndarray
    ) -> np.ndarray:
        """The TCP pose that puts the held object at `object_target` given how it sits in the hand
        *now*: closed-loop on the object, as the scripted expert carries it. Open-loop replay
        of TCP poses lets a slip or tilt in the grasp grow into a missed insertion."""
        name, symmetry, signal = state["held"]
        if not state["signals"].get(signal):
            return fallback  # dropped: nothing to steer by
        eef = view.eef_pose()
        held = view.object_poses()[name] @ symmetry
        return eef_target_for_object(object_target, held, eef)

    def _execute(self, seq: WaypointSequence, recorder: EpisodeRecorder, state: dict, rng, noise: bool = True) -> str:
        """Step through the waypoints; 'success', 'diverged', 'timeout', or 'running' at the end."""
        quiet = quiet_steps(seq.gripper, self.config.quiet_steps)
        goal = self._line_up_goal(seq)
        t, waited = 0, 0
        while t < len(seq):
            action = self.command(self.base, seq, t, state, rng, noise and not quiet[t], self.env.episode)
            recorder.observe(state["obs"])
            outcome = self.take(recorder, state, action, float(seq.gripper[t]), *self.env.step(action))
            if outcome is not None:
                return outcome
            t, waited = self.advance(self.base, seq, t, waited, goal, state)
        return "running"

    def command(
        self,
        view: SceneView,
        seq: WaypointSequence,
        t: int,
        state: dict,
        rng: np.random.Generator,
        noise: bool,
        domain: EpisodeDomain | None = None,
    ) -> np.ndarray:
        """The action (7,) float32 that tracks waypoint t from where the TCP is now: the TCP target,
        or with a carried object the TCP pose that puts the object on its target; plus action
        noise unless `noise` is False. `domain`: the attempt's latency and the actions it holds in
        flight; from `COMPENSATED_LATENCY` steps on (with `latency_compensation`) the error is taken
        from where those actions will have put the TCP (`predicted_pose`)."""
        pose = seq.poses[t]
        if seq.object_targets is not None and np.isfinite(seq.object_targets[t, 0, 0]):
            pose = self.tracking_target(view, seq.object_targets[t], state, pose)
        now = view.eef_pose()
        if self.config.latency_compensation and domain is not None and domain.latency >= COMPENSATED_LATENCY:
            now = predicted_pose(now, domain.pending, self.controller)
        action = ee_action(now, pose, float(seq.gripper[t]), self.config.tracking_gain, self.controller)
        action = action.astype(np.float64)
        if noise and self.config.action_noise > 0:
            action[:6] += rng.normal(0.0, self.config.action_noise, 6)
        return np.clip(action, -1.0, 1.0).astype(np.float32)

    def take(
        self,
        recorder: EpisodeRecorder,
        state: dict,
        action: np.ndarray,
        grip: float,
        obs,
        reward,
        terminated,
        truncated,
        info,
    ) -> str | None:
        """Record a step's result (the frame observed before it is in `recorder`) and update
        `state`; the segment's outcome if the step ended it."""
        if info["physics_diverged"] or not np.isfinite(np.concatenate([np.ravel(v) for v in obs.values()])).all():
            return "diverged"  # the attempt is dropped: no bad frame is ever written
        success = bool(info["is_success"])
        recorder.act(action, reward, terminated or truncated, success, info["subtasks"])
        state.update(obs=obs, signals=info["subtasks"], gripper=grip)
        if terminated:
            return "success" if success else "terminated"
        if truncated:
            return "timeout"
        return None

    def advance(
        self, view: SceneView, seq: WaypointSequence, t: int, waited: int, goal: int | None, state: dict
    ) -> tuple[int, int]:
        """(next waypoint, steps waited at it): hold waypoint t while lining up, else go on."""
        if goal is not None and waited < self.config.line_up_max_wait and self._lagging(seq, t, goal, state, view):
            return t, waited + 1  # hold this waypoint: line up before going on towards the goal
        return t + 1, 0

    def _line_up_goal(self, seq: WaypointSequence) -> int | None:
        """The waypoint a replay must arrive at lined up: a carried object's last target, or with
        `line_up_grasp` the TCP pose where the gripper closes on an object. None when line-up is
        off, when nothing is carried (and no grasp is lined up), or when the sequence lets go of
        the object: waiting just before a release is the hovering a policy cannot time (Stack,
        2000 demos, synthetic-only in `randomized`: 96/100 → 9/100 when its placing and its grasps
        waited, 97/100 when only its grasps did)."""
        if self.config.line_up_tolerance <= 0:
            return None
        switches = gripper_switches(seq.gripper)
        if seq.object_targets is None:
            closing = switches[seq.gripper[switches] > 0]
            return int(closing[0]) if self.config.line_up_grasp and len(closing) else None
        return None if np.any(seq.gripper[switches] <= 0) else len(seq) - 1

    def _lagging(self, seq: WaypointSequence, t: int, goal: int, state: dict, view: SceneView | None = None) -> bool:
        """Within `line_up_distance` of the goal waypoint, is the carried object (or, lining up
        a grasp, the TCP) more than `line_up_tolerance` off waypoint t sideways? The replay
        trails its waypoints by ~1.5 cm at carrying speed; played on regardless, it descends into
        the socket while still moving sideways, and 36 % of PegInsert's attempts jam on the rim
        (docs: what we learned, cause 5); coming down onto a tall peg the same way knocks it over."""
        cfg = self.config
        carried = seq.object_targets is not None
        path = seq.object_targets if carried else seq.poses
        target = path[t]
        if t >= goal or not np.isfinite(target[0, 0]):
            return False
        if np.linalg.norm(target[:3, 3] - path[goal, :3, 3]) > cfg.line_up_distance:
            return False
        if carried:
            name, symmetry, signal = state["held"]
            if not state["signals"].get(signal):
                return False  # dropped: nothing to line up
            now = (self.base if view is None else view).object_poses()[name] @ symmetry
        else:
            now = (self.base if view is None else view).eef_pose()
        return bool(np.linalg.norm(now[:2, 3] - target[:2, 3]) > cfg.line_up_tolerance)
