"""Calibration: measure the real domain from the real demos themselves.

Each real demo is a recording of how the real arm and objects answered known commands. Calibration
replays short stretches of them in the simulator — from a recorded frame, the recorded actions for
`horizon` control steps, open loop — and fits the domain parameters that make the simulated joint
and object trajectories match the recorded ones (multiple shooting: many short predictions, so a
wrong parameter cannot hide behind a drift that began long before). The start of each stretch is
read from the observations a real dataset has (joint positions and velocities, finger openings,
object poses), never from a simulator state, so the same code runs on a real robot's data.

What it fits, in order:
1. actuation latency (whole control steps): each candidate 0 … `max_latency` is fitted briefly and
   the one with the smallest residual is kept;
2. arm servo gain and arm joint damping (scales of the nominal model, fitted in log space by
   `scipy.optimize.least_squares`);
3. object mass and friction, the same way with the arm's scales held: they show only where an
   object is carried, slides or slips;
4. a standard deviation for every scale: the cluster-robust covariance over demos
   (`cluster_std`), from a Jacobian taken ±20 % around the fit;
5. proprioceptive sensor noise, from the second differences of the recorded joint positions.

A parameter the demos barely move the trajectories with (relative uncertainty above
`max_relative_std`) is reported as not identified, with the reason, instead of a value: the
calibrated profile keeps the generation profile's range for it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import mujoco
import numpy as np

from ...envs import WORKER_ENDED, ConfigError, carry_registrations, make_task_env, resolve_task_name
from ...envs.object_placement import ObjectPlacer
from ...envs.observation import (
    ENVIRONMENT_STATE,
    GRIPPER_QPOS,
    JOINT_POS,
    JOINT_VEL,
    OBJECT_POS,
    OBJECT_QUAT,
    STATE,
    vector_features,
)
from ..config_bounds import Bounds, ints
from .profiles import ActionSpec, PhysicsSpec, Profile
from .wrapper import DomainRandomizationWrapper

# The fitted scales: name → (PhysicsSpec field, search range in the scale's own units). The ranges
# bound the optimiser; they are wider than any profile this project ships.
FITTED = {
    "actuator_gain_scale": (0.2, 5.0),
    "joint_damping_scale": (0.2, 5.0),
    "object_mass_scale": (0.2, 5.0),
    "friction_scale": (0.2, 5.0),
}
# The objects' scales are fitted after the arm's, with the arm held: they show only where an object
# is carried, slides or slips, and fitted with the arm's from the start friction's noisy gradient
# pulled the servo gain 20 % off (6 Lift demos).
CONTACT = ("object_mass_scale", "friction_scale")
ARM = tuple(n for n in FITTED if n not in CONTACT)


@dataclass(frozen=True)
class CalibrationConfig:
    """How calibration reads the demos and how long it may fit."""

    max_latency: int = 3  # control steps; candidates 0 … max_latency
    horizon: int = 5  # control steps each replayed stretch runs open loop
    stride: int = 2  # a stretch starts every `stride` frames
    max_segments: int = 400  # stretches used in all (spread evenly over the demos): bounds the cost
    max_evaluations: int = 10  # optimiser steps of the final fit (each: one pass, plus one per scale for the Jacobian)
    latency_evaluations: int = 2  # optimiser steps of each of the two best latency candidates' brief fit
    max_relative_std: float = 0.15  # a fitted scale less certain than this is reported as not identified
    # Uncertainties come from how much the demos disagree (see `cluster_std`): with fewer demos that
    # spread is itself a guess (3 Lift demos once called an unidentifiable mass ±6 %).
    min_demos: int = 5
    # Worker processes that share the stretches (0: one per core, at most 8). Each stretch starts
    # from a clean solver state, so the split changes the time a fit takes, never its numbers.
    workers: int = 0

    BOUNDS = {
        "max_latency": ints(0, 10),
        "horizon": ints(1, 50),
        "stride": ints(1, 100),
        "max_segments": ints(1, 100_000),
        "max_evaluations": ints(4, 10_000),
        "latency_evaluations": ints(1, 10_000),
        "max_relative_std": Bounds(0.0, 10.0, integer=False, low_open=True),
        "min_demos": ints(2, 100_000),
        "workers": ints(0, 1024),
    }

    def __post_init__(self) -> None:
        for name, bounds in self.BOUNDS.items():
            bounds.check(f"CalibrationConfig.{name}", getattr(self, name))


class TooFewDemos(ConfigError):
    """Fewer usable demos than `CalibrationConfig.min_demos`: the one refusal a caller may take as
    "skip calibration" (`demoforge run` does)."""

    def __init__(self, usable: int, config: CalibrationConfig):
        self.usable, self.needed = usable, config.min_demos
        super().__init__(
            f"calibration needs at least {config.min_demos} demos longer than {config.horizon} steps to tell how "
            f"well it identified anything; got {usable}"
        )


@dataclass
class CalibrationResult:
    """What calibration identified, in the profile's own terms (scales of the nominal model)."""

    task: str
    latency_steps: int
    values: dict[str, float]  # identified scale → value
    stds: dict[str, float]  # its standard deviation (same units)
    not_identified: dict[str, str]  # scale → why the demos cannot tell it
    proprio_noise_std: float  # rad, estimated from the recorded joint positions
    residual_rms: float  # rad/m, of the final fit's predictions
    latency_residuals: dict[int, float]  # candidate → residual rms of its brief fit
    segments: int
    seconds: float
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)

    @staticmethod
    def check_new_path(path: str | Path) -> Path:
        """A path `save` may write: one that does not exist yet."""
        path = Path(path)
        if path.exists():
            raise ConfigError(f"--out {path}: already exists; calibration writes a new file")
        return path

    def save(self, path: str | Path) -> Path:
        """Write the result as JSON at `path`, which must not exist yet (nothing is overwritten)."""
        from ..data.dataset import write_json

        path = self.check_new_path(path)
        write_json(path, self.to_json())
        return path

    @classmethod
    def load(cls, path: str | Path) -> CalibrationResult:
        """A result `save` wrote."""
        import json

        return cls(**json.loads(Path(path).read_text()))

    def rows(self, *profiles: Profile) -> list[tuple[str, ...]]:
        """One row per parameter — name, identified value (or why not), its ± 1 σ — followed by its
        range in each of `profiles`: the table `demoforge calibrate` prints and a run's report shows."""

        def span(profile: Profile, name: str) -> str:
            lo, hi = profile.action.latency_steps if name == "latency_steps" else getattr(profile.physics, name)
            return f"{lo:g}–{hi:g}"

        found = [("latency_steps", str(self.latency_steps), "exact")]
        found += [(n, f"{v:.3f}", f"{self.stds[n]:.3f}") for n, v in self.values.items()]
        found += [(n, f"not identified: {why}", "–") for n, why in self.not_identified.items()]
        return [(*row, *(span(p, row[0]) for p in profiles)) for row in found]


class Replayer:
    """Replays stretches of recorded demos in a task env under a candidate domain."""

    def __init__(
        self,
        task: str,
        episodes: list[dict[str, np.ndarray]],
        config: CalibrationConfig,
        starts: list[tuple[int, int]] | None = None,
    ):
        self.config = config
        self.env = DomainRandomizationWrapper(make_task_env(task), Profile(name="calibrating", version=1))
        base = self.env.base
        self.base = base
        objects = base.task.objects
        state = {f.key: f for f in vector_features(base.robot)}[STATE.key]  # the robot's joint widths
        self.state_at = state.slices(objects)
        self.env_at = ENVIRONMENT_STATE.slices(objects)
        self.bodies = list(base.task.object_bodies)
        self.placer = ObjectPlacer(base.model, self.bodies)  # free objects, fixtures and a drawer's links
        self.episodes = episodes
        self.starts = stretch_starts(episodes, config) if starts is None else starts

    def _set_start(self, ep: dict[str, np.ndarray], t: int) -> None:
        base, s, e = self.base, ep[STATE.key][t], ep[ENVIRONMENT_STATE.key][t]
        qpos, qvel = base.data.qpos.copy(), np.zeros(base.model.nv)
        control = base.control
        qpos[control.arm_qpos] = s[self.state_at[JOINT_POS.key]]
        qpos[control.finger_qpos] = s[self.state_at[GRIPPER_QPOS.key]]
        qvel[control.arm_dofs] = s[self.state_at[JOINT_VEL.key]]
        base.set_sim_state(np.concatenate((qpos, qvel)))
        pos = e[self.env_at[OBJECT_POS.key]].reshape(-1, 3)
        quat = e[self.env_at[OBJECT_QUAT.key]].reshape(-1, 4)
        self.placer.place(base.data, pos, quat)
        mujoco.mj_forward(base.model, base.data)
        base.data.qacc_warmstart[:] = 0  # the solver starts clean, not from the last stretch's end

    def residuals(self, scales: dict[str, float], latency: int) -> np.ndarray:
        """Predicted minus recorded joint positions (rad) and object positions (m) over every
        stretch's horizon, under `scales` and `latency`."""
        physics = PhysicsSpec(enabled=True, **{k: (v, v) for k, v in scales.items()})
        action = ActionSpec(enabled=True, latency_steps=(latency, latency))
        self.env.profile = Profile(name="calibrating", version=1, physics=physics, action=action)
        self.env.reset(seed=0)
        hold = self.base.control.hold_action(self.base.data.ctrl)
        out = []
        for e, t in self.starts:
            ep = self.episodes[e]
            self._set_start(ep, t)
            self.env.episode.forget()
            self.env.episode.latency = latency
            for j in range(t - latency, t):  # the actions still in flight at frame t
                self.env.episode.pending.append(ep["action"][j].astype(np.float64) if j >= 0 else hold)
            for j in range(self.config.horizon):
                self.env.step(ep["action"][t + j])
                s = ep[STATE.key][t + j + 1]
                env_state = ep[ENVIRONMENT_STATE.key][t + j + 1]
                out.append(self.base.data.qpos[self.base.control.arm_qpos] - s[self.state_at[JOINT_POS.key]])
                obj = self.base.data.xpos[self.bodies].ravel()
                out.append(obj - env_state[self.env_at[OBJECT_POS.key]])
        return np.concatenate(out)

    def clusters(self) -> np.ndarray:
        """The demo each residual of `residuals` comes from."""
        per_step = len(self.base.control.arm_qpos) + 3 * len(self.bodies)
        return np.repeat([e for e, _ in self.starts], self.config.horizon * per_step)

    def close(self) -> None:
        self.env.close()


def stretch_starts(episodes: list[dict[str, np.ndarray]], config: CalibrationConfig) -> list[tuple[int, int]]:
    """(episode, frame) of every stretch: every `stride` frames with a full horizon after it,
    thinned evenly to at most `max_segments`."""
    h, stride = config.horizon, config.stride
    starts = [(e, t) for e, ep in enumerate(episodes) for t in range(0, len(ep["action"]) - h, stride)]
    if len(starts) > config.max_segments:
        pick = np.linspace(0, len(starts) - 1, config.max_segments).round().astype(int)
        starts = [starts[i] for i in pick]
    return starts


def _serve_replays(conn, task: str, config, starts) -> None:
    """A worker process of `SplitReplayer`: reads the episodes, then answers (method, args) with
    (ok, result) until None."""
    replayer = Replayer(task, conn.recv(), config, starts)
    try:
        while (request := conn.recv()) is not None:
            name, args = request
            try:
                conn.send((True, getattr(replayer, name)(*args)))
            except Exception as exc:  # sent back: the parent raises it with the worker's message
                first_line = (str(exc).splitlines() or [""])[0]
                conn.send((False, f"{type(exc).__name__}: {first_line}"))
    finally:
        replayer.close()


class SplitReplayer:
    """A Replayer whose stretches are shared among worker processes, each replaying a contiguous
    share: `residuals` and `clusters` come back in the order one Replayer gives them."""

    def __init__(self, task: str, episodes: list[dict[str, np.ndarray]], config: CalibrationConfig, processes: int):
        import multiprocessing

        self.starts = stretch_starts(episodes, config)
        context = multiprocessing.get_context("spawn")
        self.conns, self.procs = [], []
        for share in np.array_split(np.arange(len(self.starts)), min(processes, len(self.starts))):
            parent, child = context.Pipe()
            starts = [self.starts[i] for i in share]
            proc = context.Process(
                target=carry_registrations(_serve_replays), args=(child, task, config, starts), daemon=True
            )
            proc.start()
            child.close()
            self.conns.append(parent)
            self.procs.append(proc)
        # The episodes go through the pipe, not the start arguments: a child that dies while
        # starting (a script without `if __name__ == "__main__":` re-runs itself in it) then breaks
        # the pipe, where start arguments larger than a pipe's buffer blocked the parent forever.
        for conn in self.conns:
            try:
                conn.send(episodes)
            except OSError:
                self.close()
                raise RuntimeError(f"calibration worker: {WORKER_ENDED}") from None

    def _each(self, name: str, *args) -> np.ndarray:
        for conn in self.conns:
            try:
                conn.send((name, args))
            except OSError:  # a worker that died: its answer below says so
                pass
        answers = []
        for conn in self.conns:  # every answer read before raising, so none is left for the next call
            try:
                answers.append(conn.recv())
            except (EOFError, OSError):
                answers.append((False, WORKER_ENDED))
        for ok, result in answers:
            if not ok:
                raise RuntimeError(f"calibration worker: {result}")
        return np.concatenate([result for _, result in answers])

    def residuals(self, scales: dict[str, float], latency: int) -> np.ndarray:
        return self._each("residuals", scales, latency)

    def clusters(self) -> np.ndarray:
        return self._each("clusters")

    def close(self) -> None:
        for conn in self.conns:
            try:
                conn.send(None)
            except OSError:  # the worker is gone already
                pass
        for proc in self.procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()


def replayer_for(task: str, episodes: list[dict[str, np.ndarray]], config: CalibrationConfig):
    """One Replayer in this process, or a SplitReplayer over `config.workers` processes (0: one
    per core, at most 8)."""
    import os

    processes = config.workers or min(os.cpu_count() or 1, 8)
    if processes <= 1:
        return Replayer(task, episodes, config)
    return SplitReplayer(task, episodes, config, processes)


def _fit(
    replayer: Replayer | SplitReplayer,
    latency: int,
    evaluations: int,
    x0: np.ndarray,
    names=ARM,
    fixed: dict | None = None,
):
    """Least squares over the log scales `names` from x0, the other scales held at `fixed`
    (nominal where not given)."""
    from scipy.optimize import least_squares

    lo = np.log([FITTED[n][0] for n in names])
    hi = np.log([FITTED[n][1] for n in names])

    def fun(x):
        return replayer.residuals({**(fixed or {}), **dict(zip(names, np.exp(x).tolist()))}, latency)

    # diff_step: a relative step of a few per cent, large enough to rise above contact noise
    return least_squares(fun, x0, bounds=(lo, hi), diff_step=0.03, max_nfev=evaluations, x_scale=1.0)


def _wide_jacobian(replayer: Replayer | SplitReplayer, latency: int, x: np.ndarray, step: float = 0.2) -> np.ndarray:
    """Central differences over ±`step` in log scale (±20 %): wide enough that what a parameter
    does to the trajectories outweighs the contact noise a few-per-cent step picks up, so a
    parameter the demos do not depend on gets a near-zero column (and a large uncertainty)."""
    names = list(FITTED)
    cols = []
    for i in range(len(x)):
        up, down = x.copy(), x.copy()
        up[i] += step
        down[i] -= step
        r_up = replayer.residuals(dict(zip(names, np.exp(up).tolist())), latency)
        r_down = replayer.residuals(dict(zip(names, np.exp(down).tolist())), latency)
        cols.append((r_up - r_down) / (2 * step))
    return np.stack(cols, axis=1)


def cluster_std(jac: np.ndarray, residuals: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """Standard deviations of least-squares parameters whose residuals are correlated within
    clusters (one demo's stretches share its start errors and its contacts) but not across them:
    the cluster-robust sandwich (JᵀJ)⁻¹ (Σ_c J_cᵀ r_c r_cᵀ J_c) (JᵀJ)⁻¹. A parameter whose Jacobian
    column is noise — the demos do not really depend on it — gets a large one, since its
    per-demo gradients disagree."""
    bread = np.linalg.pinv(jac.T @ jac)
    scores = np.stack([jac[clusters == c].T @ residuals[clusters == c] for c in np.unique(clusters)])
    n = len(scores)
    meat = scores.T @ scores * (n / max(1, n - 1))  # small-sample correction for few demos
    return np.sqrt(np.clip(np.diag(bread @ meat @ bread), 0.0, None))


def _rms(residuals: np.ndarray) -> float:
    return float(np.sqrt(np.mean(residuals**2)))


def proprio_noise(episodes: list[dict[str, np.ndarray]], state_at: dict[str, slice]) -> float:
    """White sensor noise σ seen through second differences (var = 6σ²), median-based so the
    arm's own accelerations count little."""
    d2 = np.concatenate([np.diff(ep[STATE.key][:, state_at[JOINT_POS.key]], 2, axis=0) for ep in episodes])
    return float(1.4826 * np.median(np.abs(d2)) / math.sqrt(6))


def calibrate(
    source: str | Path | list[dict[str, np.ndarray]],
    task: str | None = None,
    config: CalibrationConfig | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> CalibrationResult:
    """Identify the domain of the demos at `source` (a dataset folder, or episodes as
    feature → array dicts): latency, arm gain and damping, object mass, sensor noise. `log` gets
    a line at each stage (about a minute in all for ten Lift demos on 2 cores)."""
    config = config or CalibrationConfig()
    start = time.perf_counter()
    if isinstance(source, str | Path):
        from ..data.dataset import Dataset

        ds = Dataset(source)
        episodes = [ds.episode(i, videos=False).data for i in range(len(ds))]
        task = task or (ds.meta(0).get("task") if len(ds) else None)
    else:
        episodes = source
    task = resolve_task_name(task or "Lift")
    usable = [ep for ep in episodes if len(ep["action"]) > config.horizon]
    if len(usable) < config.min_demos:
        raise TooFewDemos(len(usable), config)
    episodes = usable
    replayer = replayer_for(task, episodes, config)
    try:
        x0 = np.zeros(len(ARM))
        # Latency first: every candidate at the nominal scales (one pass each), then the two best
        # fitted briefly, since a sluggish servo can pass for one more step of delay.
        nominal = dict.fromkeys(FITTED, 1.0)
        log(
            f"calibrating {task} from {len(episodes)} demos, {len(replayer.starts)} stretches of {config.horizon} steps"
        )
        rms = {L: _rms(replayer.residuals(nominal, L)) for L in range(config.max_latency + 1)}
        log("latency at the nominal scales: " + ", ".join(f"{L} steps {r * 1e3:.1f}" for L, r in rms.items()))
        brief = {L: _fit(replayer, L, config.latency_evaluations, x0) for L in sorted(rms, key=rms.get)[:2]}
        rms.update({L: _rms(r.fun) for L, r in brief.items()})
        latency = min(brief, key=lambda L: rms[L])
        log(f"latency {latency} steps; fitting servo gain and damping")
        arm = _fit(replayer, latency, config.max_evaluations, brief[latency].x)
        log("fitting object mass and friction")
        held = dict(zip(ARM, np.exp(arm.x).tolist()))
        contact = _fit(replayer, latency, config.max_evaluations, np.zeros(len(CONTACT)), CONTACT, held)
        fitted = {**dict(zip(ARM, arm.x)), **dict(zip(CONTACT, contact.x))}
        final_x = np.array([fitted[n] for n in FITTED])
        residuals = contact.fun
        log("uncertainties (±20 % around the fit)")
        log_std = cluster_std(_wide_jacobian(replayer, latency, final_x), residuals, replayer.clusters())
        values, stds, unknown = {}, {}, {}
        for name, x, s in zip(FITTED, final_x, log_std):
            value = float(np.exp(x))
            lo, hi = FITTED[name]
            if s > config.max_relative_std or not np.isfinite(s):
                unknown[name] = f"the demos move the trajectories too little with it (±{s:.0%} after the fit)"
            elif not lo * 1.05 < value < hi / 1.05:
                unknown[name] = f"the fit ran to the edge of its search range ({lo:g}–{hi:g}) at {value:.3g}"
            else:
                values[name], stds[name] = value, float(value * s)
        return CalibrationResult(
            task=task,
            latency_steps=latency,
            values=values,
            stds=stds,
            not_identified=unknown,
            proprio_noise_std=proprio_noise(episodes, STATE.slices(())),  # no per-object field in it
            residual_rms=_rms(residuals),
            latency_residuals=rms,
            segments=len(replayer.starts),
            seconds=time.perf_counter() - start,
            extra={"fit_values": {n: float(np.exp(x)) for n, x in zip(FITTED, final_x)}, "log_std": log_std.tolist()},
        )
    finally:
        replayer.close()


CALIBRATED_MODES = ("cover", "centre")


def calibrated_profile(
    result: CalibrationResult, base: Profile | str | Path = "randomized", width: float = 2.0, mode: str = "cover"
) -> Profile:
    """The generation profile calibration leads to. Each identified scale's interval is its value
    ± `width` standard deviations (at least ± 5 %, so a policy still sees some spread):

    - `cover` (the default): `base`'s range stretched just enough to hold that interval, and its
      latency range to hold the identified latency. A real domain inside `base`'s ranges leaves
      `base` as it was (the built-in `target`: `randomized` unchanged); one outside them is now
      generated in too, beside everything `base` already varies.
    - `centre`: the range is that interval alone, the latency the identified one.

    Everything else — the parameters not identified among them — keeps `base`'s ranges."""
    from .profiles import load_profile

    if mode not in CALIBRATED_MODES:
        raise ConfigError(f"calibrated profile mode {mode!r}; allowed: {', '.join(CALIBRATED_MODES)}")
    base = base if isinstance(base, Profile) else load_profile(base)
    ranges = {}
    for name, value in result.values.items():
        half = max(width * result.stds[name], 0.05 * value)
        lo, hi = round(max(value - half, 1e-3), 4), round(value + half, 4)  # 4 decimals: a readable file
        if mode == "cover" and base.physics.enabled:
            lo, hi = min(lo, getattr(base.physics, name)[0]), max(hi, getattr(base.physics, name)[1])
        ranges[name] = (lo, hi)
    latency = (result.latency_steps,) * 2
    if mode == "cover" and base.action.enabled:
        latency = (min(latency[0], base.action.latency_steps[0]), max(latency[1], base.action.latency_steps[1]))
    physics = base.physics.model_copy(update={"enabled": True, **ranges})
    action = base.action.model_copy(update={"enabled": True, "latency_steps": latency})
    identified = ", ".join(f"{n} {v:.3g}±{result.stds[n]:.2g}" for n, v in result.values.items())
    return base.model_copy(
        update={
            "name": "calibrated",
            "version": 1,
            "description": f"{base.name} {'stretched to cover' if mode == 'cover' else 'centred on'} calibration "
            f"from {result.task} demos: latency {result.latency_steps}, {identified or 'no scale identified'}",
            "physics": physics,
            "action": action,
        }
    )
