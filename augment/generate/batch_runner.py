"""The batched attempt runner: N generation attempts stepped in lockstep (`--backend batch`).

Each attempt is the per-attempt runner's own plan (`AttemptRunner.plan`: select, transform,
stitch, retry, failure cause), seeded from (run seed, attempt) alone, reset in the same env with
the same domain draw. What changes is who executes the waypoints: every control step, all
attempts in flight compute their action (`AttemptRunner.command`), the wrapper's latency and
action noise act per attempt (`domain_env.perturb_action`), the sensors read all attempts at once
(`domain_env.sense_rows`), the env's control (`envs.control.Control`, in its batched form) turns
all their actions into servo targets at once, the physics steps them together (`batch_physics`), and each result
is taken, recorded and advanced as the per-attempt runner does (`take`, `advance`). Every per-row
operation is the one the per-attempt runner performs, in the same order: the output is the same
bytes, for any number of simulations and threads.

An attempt's result does not depend on which simulation ran it or beside which others, so
results are handed back in attempt order however the attempts finish.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mujoco
import numpy as np

from ...envs import make_task_env
from ...envs.geometry import mat_to_quat
from ...envs.robots import RobotDescription
from ...envs.task import object_poses, site_pose
from ..data.record import EpisodeRecorder
from ..domain.wrapper import EpisodeDomain, perturb_action, sense_rows
from . import batch_physics
from .config import GenerateConfig
from .runner import AttemptResult, AttemptRunner, Plan, attempt_seeds, quiet_steps
from .stitch import WaypointSequence


class SimulationView:
    """Simulation i as the planner and the recorder see it (`runner.SceneView` plus the stored
    state): read from the arrays its last step refreshed, by the readers a `ManipulationEnv` reads
    its MjData with (`envs.task.site_pose`, `object_poses`). `robot` is the env's description."""

    def __init__(self, arrays: dict[str, np.ndarray], i: int, task, tcp_site: int, robot: RobotDescription):
        self.arrays, self.i, self.task, self.tcp_site, self.robot = arrays, i, task, tcp_site, robot
        self._eef: np.ndarray | None = None  # poses of the current state, built once per step
        self._objects: dict[str, np.ndarray] | None = None

    def forget(self) -> None:
        """The simulation moved on: poses are built afresh when next asked for."""
        self._eef = self._objects = None

    def eef_pose(self) -> np.ndarray:
        if self._eef is None:
            self._eef = site_pose(self.arrays["site_xpos"][self.i], self.arrays["site_xmat"][self.i], self.tcp_site)
        return self._eef.copy()

    def object_poses(self) -> dict[str, np.ndarray]:
        if self._objects is None:
            self._objects = object_poses(self.arrays["xpos"][self.i], self.arrays["xquat"][self.i], self.task)
        return {name: pose.copy() for name, pose in self._objects.items()}

    def sim_state(self) -> np.ndarray:
        return np.concatenate((self.arrays["qpos"][self.i], self.arrays["qvel"][self.i]))


@dataclass
class Attempt:
    """One attempt in flight in one simulation: its plan, and where it is in the waypoints the
    plan asked for."""

    number: int
    env_seed: int
    rng: np.random.Generator  # selection and action noise (runner.attempt_seeds)
    domain: EpisodeDomain  # latency, action and sensor noise: this attempt's, kept from its reset
    drawn: dict  # info["domain"] at its reset
    recorder: EpisodeRecorder
    state: dict
    plan: Plan
    used: list[dict[str, Any]] = field(default_factory=list)
    seq: WaypointSequence | None = None
    quiet: np.ndarray | None = None
    noise: bool = True
    goal: int | None = None
    t: int = 0
    waited: int = 0
    steps: int = 0  # env steps since the reset (the episode's time limit counts them)
    action: np.ndarray | None = None  # the action of the step being taken


@dataclass
class Group:
    """Simulations stepped by one call, with their views and the attempts in them."""

    physics: batch_physics.BatchPhysics | batch_physics.LoopPhysics | batch_physics.WarpPhysics
    views: list[SimulationView]
    slots: list[Attempt | None] = field(default_factory=list)

    def active(self) -> np.ndarray:
        return np.array([i for i, a in enumerate(self.slots) if a is not None], int)


class BatchRunner:
    """`nsim` simulations stepping attempts in lockstep; `results(start, stop)` yields
    `AttemptResult`s in attempt order, as `AttemptRunner.run(j)` would for each j.

    With `threads` ≥ 2 the simulations form two groups, stepped in turn on a background thread:
    while one group's physics runs (in C, without the GIL) this thread takes the other group's
    step and computes its next actions, so the Python work and the physics overlap. Finished
    attempts are handed back at most one per group step: attempts finish out of order, and
    handing back the dozen that waited for a slow one at once stalled the physics while the
    consumer wrote them (169,800 → 188,000 demos/h on 2 idle cores, 1000 Lift demos)."""

    def __init__(
        self, source_dir: str | Path, task: str | None, config: GenerateConfig, local: AttemptRunner | None = None
    ):
        self.runner = runner = local or AttemptRunner(source_dir, task, config)
        self.config = config
        self.env, self.base = runner.env, runner.base
        self.nsim = config.batch_size
        # This env is pointed at each stepped simulation's MjData to ask the task for its signals
        # and success (they read contacts) and the env for divergence, as env.step does.
        self.probe = make_task_env(runner.task, config=self.base.config)
        self._scratch = mujoco.MjData(self.probe.model)  # where mujoco.batch copies a simulation
        task = self.base.task
        tcp = self.base.sim.tcp_site
        warp = config.backend == "warp"  # every world in one group: the device steps them all at once
        pipelined = config.threads > 1 and self.nsim > 1 and not warp
        sizes = [(self.nsim + 1) // 2, self.nsim // 2] if pipelined else [self.nsim]
        self.groups = []
        for n in sizes:
            threads = max(1, config.threads // len(sizes))
            physics = batch_physics.make_physics(self.base.model, n, threads, pipelined, warp=warp)
            self.groups.append(
                Group(physics, [SimulationView(physics.arrays, i, task, tcp, self.base.robot) for i in range(n)])
            )
        self._tcp = tcp
        self._bodies = list(task.object_bodies)
        self.control = self.base.control  # the env's action → control mapping, used here in its batched form

    def results(self, start: int, stop: int) -> Iterator[AttemptResult]:
        """Attempts start, start+1, … (< stop), in order."""
        upcoming = iter(range(start, stop))
        self._done: dict[int, AttemptResult] = {}  # finished, waiting for the attempts before them
        for g in self.groups:
            g.slots = [self._fill(g, i, upcoming) for i in range(len(g.views))]
        following = start
        with ThreadPoolExecutor(1) as stepper:
            flights = [self._launch(g, stepper) for g in self.groups]
            while any(f is not None for f in flights):
                for k, g in enumerate(self.groups):
                    if flights[k] is None:
                        continue
                    ids, stepped = flights[k]
                    stepped.result()  # the other group's step, launched before, runs meanwhile
                    for i in self._take(g, ids):
                        g.slots[i] = self._fill(g, i, upcoming)
                    flights[k] = self._launch(g, stepper)
                    # one per step, so that the consumer's writes interleave with the physics;
                    # more when the finished ones pile up beyond a batch (memory stays bounded)
                    handed = 0
                    while following in self._done and (handed == 0 or len(self._done) > self.nsim):
                        yield self._done.pop(following)
                        following += 1
                        handed += 1
            while following in self._done:
                yield self._done.pop(following)
                following += 1

    def _launch(self, g: Group, stepper: ThreadPoolExecutor) -> tuple[np.ndarray, Future] | None:
        """Compute group g's actions and start its physics step (None: the group has finished).
        With one group the step simply runs while this thread waits for it."""
        ids = g.active()
        if not len(ids):
            return None
        ctrl = self._act(g, ids)
        if len(self.groups) == 1:
            done: Future = Future()
            g.physics.step(ids, ctrl, self.base.n_substeps)
            done.set_result(None)
            return ids, done
        return ids, stepper.submit(g.physics.step, ids, ctrl, self.base.n_substeps)

    # attempts: start, conclude ------------------------------------------------------------------

    def _fill(self, g: Group, i: int, upcoming: Iterator[int]) -> Attempt | None:
        """Group g's simulation i's next attempt (None when there are no more); attempts whose plan ends
        before their first step are concluded on the way."""
        for number in upcoming:
            attempt = self._start(g, i, number)
            if self._begin(attempt, None):
                return attempt
        return None

    def _start(self, g: Group, i: int, number: int) -> Attempt:
        env_seed, rng = attempt_seeds(self.config.seed, number)
        obs, info = self.env.reset(seed=env_seed)
        g.physics.load(i, self.base.model, self.base.data)
        view = g.views[i]
        view.forget()
        state = {"obs": obs, "signals": info["subtasks"], "gripper": -1.0}
        used: list[dict[str, Any]] = []
        plan = self.runner.plan(view, state, rng, used)
        recorder = EpisodeRecorder(view, ())
        return Attempt(number, env_seed, rng, self.env.episode, info["domain"], recorder, state, plan, used)

    def _begin(self, attempt: Attempt, outcome: str | None) -> bool:
        """Hand the plan the last segment's outcome (None: start it) and take its next waypoints;
        False once the attempt has ended, its result in `done`."""
        while True:
            try:
                seq, noise = next(attempt.plan) if outcome is None else attempt.plan.send(outcome)
            except StopIteration as stop:
                self._done[attempt.number] = self._result(attempt, stop.value)
                return False
            if len(seq):
                attempt.seq, attempt.noise, attempt.t, attempt.waited = seq, noise, 0, 0
                attempt.quiet = quiet_steps(seq.gripper, self.config.quiet_steps)
                attempt.goal = self.runner._line_up_goal(seq)
                return True
            outcome = "running"  # nothing to execute: the per-attempt runner's loop ends at once

    def _result(self, attempt: Attempt, cause: str | None) -> AttemptResult:
        if cause is not None:
            return AttemptResult(attempt.number, None, cause, attempt.used, attempt.steps)
        episode = self.runner.finish(attempt.recorder, attempt.env_seed, attempt.number, attempt.drawn, attempt.used)
        return AttemptResult(attempt.number, episode, None, attempt.used, attempt.steps)

    # one control step of every attempt in flight -----------------------------------------------

    def _act(self, g: Group, ids: np.ndarray) -> np.ndarray:
        """Group g's attempts in simulations `ids` choose their actions and record the frame they
        are taken in; the servo targets (len(ids), nu) the env would set for them."""
        runner, profile, control = self.runner, self.env.profile, self.control
        applied = np.empty((len(ids), *control.space.shape))
        controls = g.physics.arrays["ctrl"]  # each simulation's controls now: what a latency hold keeps
        for k, i in enumerate(ids):
            a, view = g.slots[i], g.views[i]
            a.action = runner.command(view, a.seq, a.t, a.state, a.rng, a.noise and not a.quiet[a.t], a.domain)
            a.recorder.observe(a.state["obs"])
            # the wrapper's validate_action: the command is finite, float32 and within the action
            # space already, so its float64 copy is what that check returns
            applied[k] = perturb_action(profile, a.domain, a.action.astype(np.float64), control, controls[i])
        return self._controls(g, ids, self._validate(applied))

    def _take(self, g: Group, ids: np.ndarray) -> list[int]:
        """After group g's step: each attempt takes its result as env.step and the per-attempt
        runner would; the simulations whose attempt ended."""
        runner = self.runner
        for i in ids:
            g.views[i].forget()
        sensed = sense_rows(self.env.profile, [g.slots[i].domain for i in ids], self._observe(g, ids))
        ended = []
        for k, i in enumerate(ids):
            a = g.slots[i]
            a.steps += 1
            reward, terminated, truncated, info = self._outcome(g, i, a.steps)
            grip = float(a.seq.gripper[a.t])
            outcome = runner.take(a.recorder, a.state, a.action, grip, sensed[k], reward, terminated, truncated, info)
            if outcome is None:
                a.t, a.waited = runner.advance(g.views[i], a.seq, a.t, a.waited, a.goal, a.state)
                if a.t >= len(a.seq):
                    outcome = "running"
            if outcome is not None and not self._begin(a, outcome):
                ended.append(i)
        return ended

    def _outcome(self, g: Group, i: int, steps: int) -> tuple[float, bool, bool, dict]:
        """env.step's (reward, terminated, truncated, info) for group g's simulation i, asked of
        the probe env pointed at that simulation's MjData (the task reads contacts from it)."""
        data = g.physics.data(i, self._scratch)
        self.probe.data = self.probe.sim.data = data
        return self.probe.step_outcome(steps)

    def _validate(self, applied: np.ndarray) -> np.ndarray:
        """env.step's validate_action on every row at once: clipped to the action space."""
        return self.control.validate_rows(applied)

    def _controls(self, g: Group, ids: np.ndarray, applied: np.ndarray) -> np.ndarray:
        """(len(ids), nu) servo targets for the applied actions: env.step's control
        (`Control.write`), all rows at once."""
        arrays, control = g.physics.arrays, self.control
        ctrl = arrays["ctrl"][ids]
        q = arrays["qpos"][ids][:, control.arm_qpos]
        jac = self._jacobian(g, ids) if control.mode == "ee_delta" else None
        control.write(ctrl, applied, q, jac)
        return ctrl

    def _jacobian(self, g: Group, ids: np.ndarray) -> np.ndarray:
        """(len(ids), 6, 7) TCP Jacobians from the derived fields the last step left (cdof,
        subtree_com, site_xpos), each row what the per-attempt env's `Control.jacobian` gives."""
        arrays = g.physics.arrays
        return self.control.jacobian_rows(arrays["cdof"][ids], arrays["subtree_com"][ids], arrays["site_xpos"][ids])

    def _observe(self, g: Group, ids: np.ndarray) -> dict[str, np.ndarray]:
        """Every stepped simulation's observation (env._observe, all rows at once)."""
        arrays = g.physics.arrays
        tcp_xmat = arrays["site_xmat"][ids, self._tcp]
        tcp_quat = np.array([mat_to_quat(m) for m in tcp_xmat])
        return self.base.observe_state(
            arrays["qpos"][ids],
            arrays["qvel"][ids],
            arrays["site_xpos"][ids, self._tcp],
            tcp_quat,
            arrays["xpos"][ids][:, self._bodies],
            arrays["xquat"][ids][:, self._bodies],
        )


__all__ = ["BatchRunner", "SimulationView"]
