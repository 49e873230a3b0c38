"""Run attempts on several workers and hand back their results in attempt order.

Attempt j's result depends only on (run seed, j), so any worker may run it; the consumer gets
results strictly in j order and writes them in that order, which is why the output is identical
for 1 worker, N workers, a process pool or a Ray cluster. A sliding window bounds how many
finished-but-unwritten episodes are held in memory.

Results cross process boundaries through the executor's own IPC (pickle over a pipe between our
own processes); nothing pickled is ever written to disk or read from a file.
"""

from __future__ import annotations

import dataclasses
import os
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from ...envs import carry_registrations, spawned_pool
from .batch_runner import BatchRunner
from .config import LOCKSTEP_BACKENDS, GenerateConfig
from .runner import AttemptResult, AttemptRunner

_RUNNER: AttemptRunner | BatchRunner | None = None  # one per worker process, built by the initializer


def _init_worker(source: str, task: str, config: GenerateConfig) -> None:
    global _RUNNER
    os.environ.setdefault("MUJOCO_GL", "egl")
    lockstep = config.backend in LOCKSTEP_BACKENDS
    _RUNNER = BatchRunner(source, task, config) if lockstep else AttemptRunner(source, task, config)


def _run_range(start: int, stop: int) -> list[AttemptResult]:
    """Attempts start … stop − 1 on this worker: one after another, or in lockstep (batch)."""
    assert _RUNNER is not None, "worker used before its initializer ran"
    if isinstance(_RUNNER, BatchRunner):
        return list(_RUNNER.results(start, stop))
    return [_RUNNER.run(j) for j in range(start, stop)]


def check_backend(config: GenerateConfig) -> None:
    """Fail before anything is written if the chosen backend cannot run here."""
    if config.backend == "ray":
        try:
            import ray  # noqa: F401
        except ImportError:
            from ...envs import ConfigError

            raise ConfigError("backend 'ray' needs Ray: pip install 'demoforge[ray]'") from None
    if config.backend == "warp":
        from .batch_physics import has_warp

        if not has_warp():
            from ...envs import ConfigError

            raise ConfigError("backend 'warp' needs MuJoCo Warp: pip install 'demoforge[gpu]'")


def worker_count(config: GenerateConfig) -> int:
    if config.backend == "warp":  # one process holds every world (one device context)
        return 1
    if config.backend == "batch":
        # One worker whose batch overlaps its Python with its physics on threads beat two
        # single-threaded ones on 2 cores: 33 vs 48 ms of CPU per Lift demo (docs: benchmarks).
        return config.workers or 1
    return config.workers or os.cpu_count() or 1


def with_threads(config: GenerateConfig) -> GenerateConfig:
    """The batch backend's `threads=0` resolved: the CPU cores shared out among the workers."""
    if config.backend != "batch" or config.threads:
        return config
    return dataclasses.replace(config, threads=max(1, (os.cpu_count() or 1) // worker_count(config)))


def ordered_results(
    source: str | Path, task: str, config: GenerateConfig, start: int, stop: int, local: AttemptRunner | None = None
) -> Iterator[AttemptResult]:
    """Results of attempts start, start+1, … (< stop), in order. Closing the iterator early
    cancels what is still queued."""
    workers, config = worker_count(config), with_threads(config)
    if config.backend == "ray":
        yield from _ray_results(str(source), task, config, start, stop, workers)
        return
    if config.backend in LOCKSTEP_BACKENDS and workers == 1:
        yield from BatchRunner(source, task, config, local=local).results(start, stop)
        return
    if workers == 1:
        runner = local or AttemptRunner(source, task, config)
        for j in range(start, stop):
            yield runner.run(j)
        return
    yield from _pool_results(str(source), task, config, start, stop, workers)


def _pool_results(
    source: str, task: str, config: GenerateConfig, start: int, stop: int, workers: int
) -> Iterator[AttemptResult]:
    """A process pool: one attempt per job, or for the batch backend chunks of consecutive
    attempts, each stepped in lockstep: 4 × batch_size (the chunk's last stragglers leave the batch
    idle for a small part of it), fewer for a small run (a chunk is computed whole, even when
    the run has its demos before it ends)."""
    if config.backend == "batch":
        chunk, window = max(1, min(4 * config.batch_size, config.num // workers)), 2 * workers
    else:
        chunk, window = 1, 4 * workers
    with spawned_pool("generation", workers, _init_worker, (source, task, config)) as pool:
        pending: deque = deque()
        next_attempt = start
        try:
            while pending or next_attempt < stop:
                while next_attempt < stop and len(pending) < window:
                    pending.append(pool.submit(_run_range, next_attempt, min(next_attempt + chunk, stop)))
                    next_attempt += chunk
                yield from pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def _ray_results(
    source: str, task: str, config: GenerateConfig, start: int, stop: int, workers: int
) -> Iterator[AttemptResult]:
    import ray

    if not ray.is_initialized():
        ray.init(address=config.ray_address, ignore_reinit_error=True, log_to_driver=False)

    make_runner = carry_registrations(AttemptRunner)  # the tasks registered here, in each Ray worker

    @ray.remote
    class Worker:
        def __init__(self):
            self.runner = make_runner(source, task, config)

        def run(self, attempt: int) -> AttemptResult:
            return self.runner.run(attempt)

    actors = [Worker.remote() for _ in range(workers)]
    pending: deque = deque()
    next_attempt = start
    try:
        while pending or next_attempt < stop:
            while next_attempt < stop and len(pending) < 4 * workers:
                pending.append(actors[next_attempt % workers].run.remote(next_attempt))
                next_attempt += 1
            yield ray.get(pending.popleft())
    finally:
        for ref in pending:
            ray.cancel(ref)
