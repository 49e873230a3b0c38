"""`generate`: multiply source demos into a synthetic dataset — parallel, resumable, reported.

Resuming: the output dataset itself is the checkpoint. Each committed episode records its attempt
number and the failed attempts before it; rerunning the same command reopens the dataset
(dropping a half-written episode), continues from the attempt after the last committed one, and
ends with the same bytes an uninterrupted run writes. `meta/generation.json` pins the settings
that decide those bytes; a rerun with different ones is refused, naming the field.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...envs import ConfigError
from ..data.dataset import Dataset, write_json
from ..data.lock import exclusive
from ..data.writer import DatasetWriter, clear_blank, is_blank
from .config import GenerateConfig
from .parallel import check_backend, ordered_results, worker_count
from .runner import AttemptRunner, source_task

SIDECAR = "meta/generation.json"
STATS = "meta/generation_stats.json"


@dataclass
class GenerationSummary:
    task: str
    episodes: int = 0  # successful episodes in the dataset
    attempts: int = 0  # attempts behind them
    causes: Counter = field(default_factory=Counter)  # failure cause → count
    seconds: float = 0.0  # this run's wall time
    new_episodes: int = 0  # episodes this run added
    complete: bool = True  # False if the attempt limit stopped it short of `num`
    physics_steps: int = 0  # substeps this run's attempts took, kept or not (throughput; not stored)

    @property
    def success_rate(self) -> float:
        return self.episodes / self.attempts if self.attempts else 0.0

    def to_json(self) -> dict:
        return {
            "task": self.task,
            "episodes": self.episodes,
            "attempts": self.attempts,
            "success_rate": self.success_rate,
            "failure_causes": dict(sorted(self.causes.items())),
        }


def _identity(source: Path, task: str, config: GenerateConfig) -> dict:
    return {
        "source": str(source.resolve()),
        "source_digest": source_digest(source),
        "task": task,
        **config.identity(),
    }


def source_digest(source: Path) -> str:
    """sha256 of the source's committed episode index (its meta/episodes files): pins the source's
    content, so a resumed run notices a source replaced or grown under it."""
    digest = hashlib.sha256()
    for f in sorted((source / "meta" / "episodes").glob("*/*.parquet")):
        digest.update(f.relative_to(source).as_posix().encode() + b"\0")
        digest.update(f.read_bytes())
    return digest.hexdigest()


def _check_resume(out: Path, identity: dict) -> None:
    path = out / SIDECAR
    if not path.is_file():
        raise ConfigError(f"{out} exists but was not written by `demoforge generate` ({SIDECAR} missing)")
    try:
        before = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{out}: {SIDECAR} is not valid JSON ({exc})") from None
    if not isinstance(before, dict):
        raise ConfigError(f"{out}: {SIDECAR} is not a JSON object")
    for key in sorted(set(before) | set(identity)):
        if key == "source_digest" and key not in before:
            continue  # written before sources were pinned
        if key == "source_digest" and before[key] != identity[key]:
            raise ConfigError(
                f"{out} was generated from other content at --source {identity['source']} (its episode index "
                "changed since); use another --out, or the source it was generated from, to resume"
            )
        if before.get(key) != identity.get(key):
            raise ConfigError(
                f"{out} was generated with {key}={before.get(key)!r}, this run asks {key}={identity.get(key)!r}; "
                "use another --out or the same settings to resume"
            )


def _history(out: Path) -> tuple[int, int, Counter, list[np.ndarray]]:
    """(episodes, next attempt, failure causes, initial object poses) of an existing output."""
    ds = Dataset(out)
    causes: Counter = Counter()
    starts = []
    for i in range(len(ds)):
        causes.update(f["cause"] for f in ds.meta(i).get("failed_attempts", []))
        starts.append(_initial_poses(ds.episode(i, videos=False)))
    next_attempt = ds.meta(len(ds) - 1)["attempt"] + 1 if len(ds) else 0
    return len(ds), next_attempt, causes, starts


def _initial_poses(episode) -> np.ndarray:
    return episode.data["datagen.object_poses"][0].reshape(-1, 7)


def generate(
    source: str | Path,
    out: str | Path,
    config: GenerateConfig | None = None,
    task: str | None = None,
    progress: Callable[[int, int, int], None] | None = None,
) -> GenerationSummary:
    """Generate `config.num` successful synthetic episodes from the demos at `source` into `out`
    (created, or resumed if a previous run with the same settings stopped). `progress(attempts,
    successes, target)` is called after every attempt."""
    config = config or GenerateConfig()
    source, out = Path(source), Path(out)
    start_time = time.perf_counter()
    check_backend(config)
    local = AttemptRunner(source, task, config)  # validates the source before anything is written
    task = local.task
    identity = _identity(source, task, config)
    with exclusive(out, "demoforge generate", {SIDECAR}):
        return _generate(source, out, config, task, progress, local, identity, start_time)


def _generate(source, out, config, task, progress, local, identity, start_time) -> GenerationSummary:
    if (out / "meta" / "info.json").is_file() and not (out / SIDECAR).is_file() and is_blank(out):
        clear_blank(out)  # killed between creating the dataset and pinning its settings: start over
    if (out / "meta" / "info.json").is_file():
        _check_resume(out, identity)
        writer = DatasetWriter.append(out)
        episodes, attempt, causes, starts = _history(out)
    else:
        robot = local.base.robot
        writer = DatasetWriter.create(
            out,
            local.features,
            fps=int(local.base.config.control_hz),
            robot_type=robot.name,
            sidecars={SIDECAR: identity},
            robot=robot.layout(),
        )
        episodes, attempt, causes, starts = 0, 0, Counter(), []
    summary = GenerationSummary(task=task, episodes=episodes, attempts=attempt, causes=causes)
    pending_failures: list[dict] = []
    with writer:
        if episodes < config.num:
            results = ordered_results(source, task, config, attempt, config.attempt_limit, local=local)
            try:
                for result in results:
                    summary.attempts = result.attempt + 1
                    summary.physics_steps += result.steps * local.base.n_substeps
                    if result.episode is None:
                        pending_failures.append({"attempt": result.attempt, "cause": result.cause})
                        summary.causes[result.cause] += 1
                    else:
                        result.episode.meta["failed_attempts"] = pending_failures
                        result.episode.meta["origin"]["source_dataset"] = str(source)
                        writer.add_episode(result.episode)
                        starts.append(_initial_poses(result.episode))
                        pending_failures = []
                        summary.episodes += 1
                        summary.new_episodes += 1
                    if progress:
                        progress(summary.attempts, summary.episodes, config.num)
                    if summary.episodes >= config.num:
                        break
            finally:
                results.close()
    summary.complete = summary.episodes >= config.num
    summary.seconds = time.perf_counter() - start_time
    write_json(out / STATS, summary.to_json())
    coverage_plot(np.array(local.source_starts), np.array(starts), local.base.task.objects, out)
    return summary


def coverage_plot(src: np.ndarray, gen: np.ndarray, objects: tuple[str, ...], out: Path) -> Path:
    """plots/coverage.png: each object's initial xy in the generated episodes (gen, (N, n_obj, 7))
    against the source demos' (src) — how far generation spread the layouts the few demos covered."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    gen = gen.reshape(-1, len(objects), 7)
    src = src.reshape(-1, len(objects), 7)
    fig, axes = plt.subplots(1, len(objects), figsize=(4.2 * len(objects), 4), squeeze=False)
    for k, (ax, name) in enumerate(zip(axes[0], objects)):
        ax.scatter(gen[:, k, 1], gen[:, k, 0], s=8, alpha=0.5, label=f"generated ({len(gen)})")
        ax.scatter(src[:, k, 1], src[:, k, 0], s=40, marker="x", color="black", label=f"source ({len(src)})")
        ax.set(title=f"{name}: initial position", xlabel="y (m)", ylabel="x (m)", aspect="equal")
        ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    path = out / "plots" / "coverage.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


__all__ = ["GenerateConfig", "GenerationSummary", "generate", "worker_count", "source_task"]
