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
"""

from __future__ import annotations

import copy
import importlib

import mujoco
import numpy as np

from ..randomize import RANDOMIZED_FIELDS

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


def make_physics(
    model: mujoco.MjModel, nsim: int, nthread: int, background: bool = False
) -> BatchPhysics | LoopPhysics:
    """`mujoco.batch` where this MuJoCo has it and it helps, else the loop (same bits either way).
    It helps on ≥ 2 threads, and `background` (stepped from another Python thread while this one
    works: one C call that holds no GIL, where the loop takes it between simulations). On one
    thread in the foreground the loop is the faster: the batch's persistent MjData per simulation
    (needed for contacts) cost ~10 % per step at 32 simulations, measured."""
    if has_batch() and (nthread > 1 or background):
        return BatchPhysics(model, nsim, nthread)
    return LoopPhysics(model, nsim)
