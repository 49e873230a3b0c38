"""Demo generation: success rate per task and throughput, from 10 human-like source demos
recorded in the `target` profile, generating in `randomized` (state-only).

success rate — kept / attempts over ATTEMPTS attempts per task (MimicGen's "data generation rate").
demos/hour   — successful Lift demos per hour including writing them, per backend (process pool,
               batch, and warp when a CUDA GPU is present) side by side in this run; physics
               steps/s — the substeps those attempts took (kept and failed) per second; beside
               them the raw physics limit.
"""

from __future__ import annotations

import resource
import tempfile
from collections import Counter
from pathlib import Path

from demoforge.augment.data.record import CollectConfig, collect
from demoforge.augment.generate import GenerateConfig, generate
from demoforge.augment.generate.runner import AttemptRunner
from demoforge.envs import TASKS

from .common import best_rate, print_table

ATTEMPTS = 100
THROUGHPUT_DEMOS = 2000  # enough that worker start-up (~2 s of spawn) is not the story


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for task in TASKS:
            source = Path(tmp) / f"src_{task}"
            collect(CollectConfig(task=task, episodes=10), source)
            runner = AttemptRunner(source, task, GenerateConfig())
            results = [runner.run(j) for j in range(ATTEMPTS)]
            kept = sum(r.episode is not None for r in results)
            causes = Counter(r.cause for r in results if r.cause)
            top = ", ".join(f"{c} ×{n}" for c, n in causes.most_common(2))
            rows.append([task, f"{kept}/{ATTEMPTS}", f"{kept / ATTEMPTS:.0%}", top])
        print_table(
            f"generation success, randomized profile, 10 target-domain human-like sources, {ATTEMPTS} attempts",
            ["task", "kept", "rate", "main failure causes"],
            rows,
        )
        throughput(Path(tmp) / "src_Lift", Path(tmp))


# (label, GenerateConfig overrides): the process pool as shipped, and the batch backend's two
# ways of using 2 cores (its default, one worker whose two groups of simulations overlap Python
# and physics on 2 threads; two single-threaded workers), then the pool again to show drift
BACKENDS = (
    ("process, 2 workers", dict(backend="process", workers=2)),
    ("batch 32, 1 worker × 2 threads", dict(backend="batch", workers=1, threads=2, batch_size=32)),
    ("batch 16, 2 workers × 1 thread", dict(backend="batch", workers=2, threads=1, batch_size=16)),
    ("process, 2 workers (again: drift)", dict(backend="process", workers=2)),
)


def throughput(source: Path, tmp: Path, demos: int = THROUGHPUT_DEMOS) -> None:
    """demos/h written to disk, physics steps/s and CPU time per demo of each backend, side by
    side, with the raw physics limit (no Python at all) beside them. CPU time (every process and
    thread of the run) is the figure that holds when other jobs share the cores: 2 cores ÷ it
    is what the backend would reach on 2 cores of its own."""
    rows = []
    for label, overrides in (*BACKENDS, *_warp_backends()):
        out = tmp / f"lift_{len(rows)}"
        before = _cpu_seconds()
        summary = generate(source, out, GenerateConfig(num=demos, **overrides))
        cpu = (_cpu_seconds() - before) / summary.episodes
        rows.append(
            [
                label,
                f"{summary.episodes / summary.seconds * 3600:,.0f}",
                f"{summary.physics_steps / summary.seconds:,.0f}",
                f"{cpu * 1e3:.1f} ms → {2 * 3600 / cpu:,.0f}",
                f"{summary.success_rate:.1%} ({summary.attempts})",
            ]
        )
    for row in rows:
        row.insert(2, f"{float(row[1].replace(',', '')) / float(rows[0][1].replace(',', '')):.2f}×")
    for label, rate in raw_physics_limit(source).items():
        rows.append([label, "—", "—", f"{rate:,.0f}", "—", "—"])
    print_table(
        f"Lift generation throughput ({demos} successful demos written to disk, randomized profile)",
        ["backend", "demos/hour", "vs first row", "physics steps/s", "CPU per demo → demos/h on 2 cores", "kept"],
        rows,
    )


def _warp_backends() -> tuple[tuple[str, dict], ...]:
    """The warp backend's row where MuJoCo Warp has a CUDA device (on the CPU it is a correctness
    path, far slower than the others: the tests check it there)."""
    from demoforge.augment.generate.batch_physics import has_warp

    if not has_warp():
        return ()
    import warp as wp

    if not wp.is_cuda_available():
        return ()
    return (("warp, 1,024 worlds (GPU)", dict(backend="warp", batch_size=1024)),)


def _cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children (the pool's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def raw_physics_limit(source: Path, nsim: int = 64, threads: int = 2) -> dict[str, float]:
    """Substeps/s of the Lift scene with no Python per step: one MjData looping `mj_step`, and
    (MuJoCo ≥ 4.0) `mujoco.batch` stepping `nsim` simulations on `threads` threads, from the
    states 20 generated attempts pass through."""
    import mujoco
    import numpy as np
    from demoforge.augment.generate.batch_physics import has_batch
    from demoforge.envs import make_task_env

    env = make_task_env("Lift")
    runner = AttemptRunner(source, "Lift", GenerateConfig())
    states = [s for r in map(runner.run, range(20)) if r.episode for s in r.episode.data["sim.state"]]
    states = np.array(states[: len(states) // nsim * nsim])  # whole batches
    nq, n = env.model.nq, env.n_substeps
    m, d = env.model, env.data

    def loop() -> int:
        for s in states:
            d.qpos[:], d.qvel[:] = s[:nq], s[nq:]
            mujoco.mj_step(m, d, nstep=n)
        return len(states) * n

    limits = {"raw physics limit: mj_step, 1 thread": best_rate(loop)}
    if has_batch():
        import mujoco.batch

        batch = mujoco.batch.Batch(m, nsim, nthread=threads)
        qpos, qvel = batch.bind("qpos"), batch.bind("qvel")

        def batched() -> int:
            for chunk in states.reshape(-1, nsim, states.shape[1]):
                qpos[:], qvel[:] = chunk[:, :nq], chunk[:, nq:]
                batch.step(nstep=n)
            return len(states) * n

        limits[f"raw physics limit: mujoco.batch, {nsim} sims × {threads} threads"] = best_rate(batched)
    return limits


if __name__ == "__main__":
    main()
