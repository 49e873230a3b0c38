"""Run attempts on several workers and hand back their results in attempt order.

Attempt j's result depends only on (run seed, j), so any worker may run it; the consumer gets
results strictly in j order and writes them in that order, which is why the output is identical
for 1 worker, N workers, a process pool or a Ray cluster. A sliding window bounds how many
finished-but-unwritten episodes are held in memory.

Results cross process boundaries through the executor's own IPC (pickle over a pipe between our
own processes); nothing pickled is ever written to disk or read from a file.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .config import GenerateConfig
from .runner import AttemptResult, AttemptRunner

_RUNNER: AttemptRunner | None = None  # one per worker process, built by the initializer


def _init_worker(source: str, task: str, config: GenerateConfig) -> None:
    global _RUNNER
    os.environ.setdefault("MUJOCO_GL", "egl")
    _RUNNER = AttemptRunner(source, task, config)


def _run(attempt: int) -> AttemptResult:
    assert _RUNNER is not None, "worker used before its initializer ran"
    return _RUNNER.run(attempt)


def check_backend(config: GenerateConfig) -> None:
    """Fail before anything is written if the chosen backend cannot run here."""
    if config.backend == "ray":
        try:
            import ray  # noqa: F401
        except ImportError:
            from ...envs import ConfigError

            raise ConfigError("backend 'ray' needs Ray: pip install 'demoforge[ray]'") from None


def worker_count(config: GenerateConfig) -> int:
    return config.workers or os.cpu_count() or 1


def ordered_results(
    source: str | Path, task: str, config: GenerateConfig, start: int, stop: int, local: AttemptRunner | None = None
) -> Iterator[AttemptResult]:
    """Results of attempts start, start+1, … (< stop), in order. Closing the iterator early
    cancels what is still queued."""
    workers = worker_count(config)
    if config.backend == "ray":
        yield from _ray_results(str(source), task, config, start, stop, workers)
        return
    if workers == 1:
        runner = local or AttemptRunner(source, task, config)
        for j in range(start, stop):
            yield runner.run(j)
        return
    # spawn, not fork: a forked child would inherit the parent's MuJoCo/OpenGL state
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(str(source), task, config)
    ) as pool:
        pending: deque = deque()
        next_attempt = start
        try:
            while pending or next_attempt < stop:
                while next_attempt < stop and len(pending) < 4 * workers:
                    pending.append(pool.submit(_run, next_attempt))
                    next_attempt += 1
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def _ray_results(
    source: str, task: str, config: GenerateConfig, start: int, stop: int, workers: int
) -> Iterator[AttemptResult]:
    import ray

    if not ray.is_initialized():
        ray.init(address=config.ray_address, ignore_reinit_error=True, log_to_driver=False)

    @ray.remote
    class Worker:
        def __init__(self):
            self.runner = AttemptRunner(source, task, config)

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
