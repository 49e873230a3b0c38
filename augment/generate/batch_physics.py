"""N simulations of one task's scene, stepped together: what the batched generation runner steps.

Each simulation runs one generation attempt in its own randomized domain. The attempt's reset runs
in an ordinary env (the domain profile's one implementation draws the model and the layout there);
`load` then copies that env's randomized model fields (`randomize.RANDOMIZED_FIELDS`, gravity) and
its state into simulation i, and recomputes the constants MuJoCo derives from them, as the
randomizer does after its draws. Stepping is bit-identical to `mj_step` on each simulation alone
(MuJoCo documents it for `mujoco.batch`; the loop is that by construction), which is what lets the
batched runner write the same bytes as the per-attempt one.

On MuJoCo ≥ 4.0, `mujoco.batch.Batch` steps them on C threads; on 3.3 (no `mujoco.batch`), and on
one thread, a plain loop over one MjModel and MjData per simulation does the same work.

`WarpPhysics` (`--backend warp`) steps them as the worlds of one MuJoCo Warp model — on a GPU, or on
the CPU where there is none. Warp computes in float32 with its own contact pipeline, so its
trajectories are not MuJoCo's bit for bit: it is checked against the CPU path statistically.
"""

from __future__ import annotations

import copy
import importlib

import mujoco
import numpy as np

from ..domain.randomize import RANDOMIZED_FIELDS

# The MjData fields the runner reads for all simulations at once. State fields are the state after
# the last step; derived ones are one substep behind it, as after `mj_step`.
READ_FIELDS = ("qpos", "qvel", "ctrl", "xpos", "xquat", "site_xpos", "site_xmat", "cdof", "subtree_com")
# mjSTATE_INTEGRATION's parts that a reset leaves in MjData (plugin state, history: none here).
STATE_FIELDS = (
    "time",
    "qpos",
    "qvel",
    "act",
    "qacc_warmstart",
    "ctrl",
    "qfrc_applied",
    "xfrc_applied",
    "mocap_pos",
    "mocap_quat",
    "userdata",
)


def has_batch() -> bool:
    """Whether this MuJoCo has `mujoco.batch` (4.0 and later; asked by version first, so that a
    4.0 `batch.py` left beside a 3.3 build is not imported)."""
    if int(mujoco.__version__.split(".")[0]) < 4:
        return False
    try:
        importlib.import_module("mujoco.batch")
    except ImportError:
        return False
    return True


class BatchPhysics:
    """`nsim` simulations on `mujoco.batch.Batch`, `nthread` C threads (including the caller's)."""

    def __init__(self, model: mujoco.MjModel, nsim: int, nthread: int):
        import mujoco.batch

        self.nsim = nsim
        # persistent: one MjData per simulation, so that `copy_data` hands over its contacts (the
        # grasp signals read them) and warning counters (divergence)
        self.batch = mujoco.batch.Batch(model, nsim, nthread=nthread, persistent=True)
        self.arrays = {name: self.batch.bind(name) for name in READ_FIELDS}
        self._ctrl = self.batch.bind("ctrl")
        data = mujoco.MjData(model)
        self._state = {name: self.batch.bind(name) for name in STATE_FIELDS if np.size(getattr(data, name))}
        self._model_fields = {name: self.batch.expand(name) for name in (*RANDOMIZED_FIELDS, "opt.gravity")}

    def load(self, i: int, model: mujoco.MjModel, data: mujoco.MjData) -> None:
        """Simulation i becomes (model, data): the randomized fields and the state."""
        for name, rows in self._model_fields.items():
            rows[i] = model.opt.gravity if name == "opt.gravity" else getattr(model, name)
        self.batch.set_const([i])
        self.batch.reset([i], stage=mujoco.mjtStage.mjSTAGE_NONE)
        for name, rows in self._state.items():
            rows[i] = getattr(data, name)
        self.batch.forward([i])

    def step(self, ids: np.ndarray, ctrl: np.ndarray, nstep: int) -> None:
        """Simulations `ids` take `nstep` substeps with controls ctrl (len(ids), nu)."""
        self._ctrl[ids] = ctrl
        self.batch.step(ids, nstep=nstep)

    def data(self, i: int, scratch: mujoco.MjData) -> mujoco.MjData:
        """Simulation i's whole MjData (contacts and warnings included), copied into `scratch`."""
        return self.batch.get_data(i, scratch)


class LoopPhysics:
    """The same interface as a loop of `mj_step` over one MjModel and MjData per simulation."""

    def __init__(self, model: mujoco.MjModel, nsim: int, nthread: int = 1):
        self.nsim = nsim
        self.models = [copy.copy(model) for _ in range(nsim)]
        self.datas = [mujoco.MjData(m) for m in self.models]
        self.arrays = {name: np.zeros((nsim, *np.shape(getattr(self.datas[0], name)))) for name in READ_FIELDS}

    def load(self, i: int, model: mujoco.MjModel, data: mujoco.MjData) -> None:
        m, d = self.models[i], self.datas[i]
        for name in RANDOMIZED_FIELDS:
            np.copyto(getattr(m, name), getattr(model, name))
        np.copyto(m.opt.gravity, model.opt.gravity)
        mujoco.mj_setConst(m, d)
        mujoco.mj_resetData(m, d)
        spec = mujoco.mjtState.mjSTATE_INTEGRATION
        state = np.empty(mujoco.mj_stateSize(model, spec))
        mujoco.mj_getState(model, data, state, spec)
        mujoco.mj_setState(m, d, state, spec)
        mujoco.mj_forward(m, d)
        self._gather(i)

    def step(self, ids: np.ndarray, ctrl: np.ndarray, nstep: int) -> None:
        for i, u in zip(ids, ctrl):
            d = self.datas[i]
            d.ctrl[:] = u
            mujoco.mj_step(self.models[i], d, nstep=nstep)
            self._gather(i)

    def data(self, i: int, scratch: mujoco.MjData) -> mujoco.MjData:
        return self.datas[i]  # its own: nothing to copy

    def _gather(self, i: int) -> None:
        for name, rows in self.arrays.items():
            rows[i] = getattr(self.datas[i], name)


# Warp: the randomized fields that change the dynamics (the look's do not reach its physics), then
# the constants `mj_setConst` derives from them, copied from the reset's host model (the randomizer
# has run it there) instead of being recomputed on the device.
_LOOK_FIELDS = ("geom_rgba", "geom_matid", "mat_rgba", "geom_group", "body_pos", "body_quat")  # body_*: distractors
WARP_MODEL_FIELDS = (
    *(f for f in RANDOMIZED_FIELDS if f not in _LOOK_FIELDS and not f.startswith(("light_", "cam_"))),
    "body_subtreemass",
    "body_invweight0",
    "dof_invweight0",
    "actuator_acc0",
)
# Contacts and constraint rows allocated per world: the task scenes touch ~10 contacts at most.
WARP_NCONMAX, WARP_NJMAX = 64, 512


def has_warp() -> bool:
    """Whether MuJoCo Warp is installed (`pip install 'demoforge[gpu]'`)."""
    try:
        importlib.import_module("mujoco_warp")
    except ImportError:
        return False
    return True


class WarpPhysics:
    """`nsim` worlds of one MuJoCo Warp model, each with its own randomized fields and gravity.

    Loads are gathered and written in one transfer per field before the next step; every world
    steps together (a world without an attempt steps idle, and is loaded before it is read).
    Reads come back to the host after each step as the same `arrays` the other physics fill."""

    def __init__(self, model: mujoco.MjModel, nsim: int, nthread: int = 1, device: str | None = None):
        import warp as wp

        # Warp logs every kernel module it loads at INFO (quiet=True before its 1.10 log levels)
        wp.config.quiet = True
        wp.config.log_level = getattr(wp, "LOG_WARNING", 30)
        import mujoco_warp as mjw

        self._wp, self._mjw = wp, mjw
        self.device = device or ("cuda" if wp.is_cuda_available() else "cpu")
        self.nsim, self.model = nsim, model
        data = mujoco.MjData(model)
        mujoco.mj_forward(model, data)
        with wp.ScopedDevice(self.device):
            fields = [f for f in WARP_MODEL_FIELDS if np.size(getattr(model, f))]
            self.m = mjw.put_model(model, batch_sizes={f: nsim for f in fields})
            self.m.opt.gravity = wp.array(np.tile(model.opt.gravity, (nsim, 1)), dtype=wp.vec3)
            self.d = mjw.put_data(model, data, nworld=nsim, nconmax=WARP_NCONMAX, njmax=WARP_NJMAX)
        self._model_fields = {f: getattr(self.m, f) for f in fields}
        self._model_fields["opt.gravity"] = self.m.opt.gravity
        self._state_fields = [f for f in STATE_FIELDS if np.size(getattr(data, f))]
        self.arrays = {name: np.zeros((nsim, *np.shape(getattr(data, name)))) for name in READ_FIELDS}
        self._pending: dict[int, dict[str, np.ndarray]] = {}  # world → its loaded fields, until the next step

    def load(self, i: int, model: mujoco.MjModel, data: mujoco.MjData) -> None:
        """World i becomes (model, data) before the next step; the reads show it at once (the
        host data has been through mj_forward, as a device forward would leave it)."""
        fields = {n: (model.opt.gravity if n == "opt.gravity" else getattr(model, n)) for n in self._model_fields}
        state = {n: getattr(data, n) for n in self._state_fields}
        self._pending[i] = {n: np.copy(v) for n, v in (fields | state).items()}
        for name, rows in self.arrays.items():
            rows[i] = getattr(data, name)

    def _write_pending(self) -> None:
        """The loads since the last step, one read-modify-write per field."""
        if not self._pending:
            return
        targets = self._model_fields | {n: getattr(self.d, n) for n in self._state_fields}
        for name, array in targets.items():
            host = array.numpy()
            for i, values in self._pending.items():
                host[i] = values[name].reshape(host[i].shape)
            array.assign(host)
        self._pending.clear()

    def step(self, ids: np.ndarray, ctrl: np.ndarray, nstep: int) -> None:
        """Worlds `ids` take `nstep` substeps with controls ctrl (len(ids), nu); the others step
        along with their last controls, unread until they are loaded again."""
        wp, mjw = self._wp, self._mjw
        with wp.ScopedDevice(self.device):
            self._write_pending()
            host = self.d.ctrl.numpy()
            host[ids] = ctrl
            self.d.ctrl.assign(host)
            for _ in range(nstep):
                mjw.step(self.m, self.d)
            for name, rows in self.arrays.items():
                rows[:] = getattr(self.d, name).numpy().reshape(rows.shape)

    def data(self, i: int, scratch: mujoco.MjData) -> mujoco.MjData:
        """World i's whole MjData (contacts included), copied into `scratch`."""
        with self._wp.ScopedDevice(self.device):
            self._mjw.get_data_into(scratch, self.model, self.d, world_id=i)
        return scratch


def make_physics(
    model: mujoco.MjModel, nsim: int, nthread: int, background: bool = False, warp: bool = False
) -> BatchPhysics | LoopPhysics | WarpPhysics:
    """MuJoCo Warp if asked; else `mujoco.batch` where this MuJoCo has it and it helps, else the loop
    (same bits either way).
    It helps on ≥ 2 threads, and `background` (stepped from another Python thread while this one
    works: one C call that holds no GIL, where the loop takes it between simulations). On one
    thread in the foreground the loop is the faster: the batch's persistent MjData per simulation
    (needed for contacts) cost ~10 % per step at 32 simulations, measured."""
    if warp:
        return WarpPhysics(model, nsim)
    if has_batch() and (nthread > 1 or background):
        return BatchPhysics(model, nsim, nthread)
    return LoopPhysics(model, nsim)
