"""Subtask boundaries for demos that lack them (`demoforge annotate --auto`, issue 39).

Generation cuts source demos where the task's subtask signals turn on (`next.subtask_signals`).
A dataset recorded without them (the column stripped, an older export) but replayable in
demoforge's simulator gets them back by replaying each episode (`replay.Replayer`: its seeded
domain, its first state, its actions) and reading the task's signals after every step, exactly as
the recorder read them while recording.

An episode whose replay does not retrace its recording would get the signals of another motion,
so it is not annotated: it is reported with the frame where it diverges and left out of the
output (a dataset holds a column for every episode or none). Unless `skip_diverged`, any such
episode makes the whole run an error and nothing is written.

The input is never modified: the annotated dataset is a new one at `out`, written as `import`
writes (a hidden sibling moved into place at the end, `out` locked meanwhile, nothing replaced).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ...envs.robots import DEFAULT_ROBOT
from ..domain.profiles import Profile
from .dataset import DEFAULT_FEATURES, Dataset, Episode, write_json
from .lock import published
from .record import SIGNALS_AFTER, SIGNALS_BEFORE, features_for
from .replay import SETTINGS, Replayer
from .safety import DatasetError, read_json
from .writer import DatasetWriter

SIDECAR = "meta/annotate.json"  # how the boundaries were made, and what was left out


@dataclass
class AnnotateReport:
    """What `annotate_auto` did, by source episode index."""

    annotated: list[int] = field(default_factory=list)  # source episode indices, in output order
    diverged: dict[int, int] = field(default_factory=dict)  # source episode → first frame that diverges

    def lines(self) -> list[str]:
        return [f"episode {i}: replay diverges at frame {f}, not annotated" for i, f in self.diverged.items()]


def annotate_auto(
    dataset: str | Path,
    out: str | Path,
    profile: str | Path | Profile | None = None,
    skip_diverged: bool = False,
) -> AnnotateReport:
    """Write `dataset` with `next.subtask_signals` rebuilt by replay to the new dataset `out`.
    `profile`: the one its demos were recorded in (default: the built-in one its settings name).
    Raises DatasetError naming every diverged episode and its frame (nothing written) unless
    `skip_diverged`, which writes the others."""
    source, out = Dataset(dataset), Path(out)
    replayer = Replayer(source, profile)  # refuses a dataset without sim.state or episodes, one line
    # The recorder's own definition of the column (dtype, shape, the task's signal names in order);
    # an old-layout `subtask_signals` column is replaced too, so the output holds one layout.
    features = {
        k: v
        for k, v in source.info["features"].items()
        if k not in DEFAULT_FEATURES and k not in (SIGNALS_BEFORE, SIGNALS_AFTER)
    }
    features[SIGNALS_AFTER] = features_for(replayer.env.unwrapped)[SIGNALS_AFTER]
    # The recording settings go along, so the output replays (and generates) in the same profile.
    sidecars = {rel: read_json(source.root / rel, "dataset file") for rel in SETTINGS if (source.root / rel).is_file()}
    report = AnnotateReport()
    try:
        with published(out, "annotate") as tmp:
            with DatasetWriter.create(
                tmp,
                features,
                fps=int(source.info["fps"]),
                robot_type=source.info.get("robot_type", DEFAULT_ROBOT),
                sidecars=sidecars,
                robot=source.info.get("robot"),
            ) as writer:
                for i in range(len(source)):
                    ep = source.episode(i)
                    replay = replayer.replay(i, ep)
                    if not replay.reproduced:
                        report.diverged[i] = replay.first_divergence or replay.steps
                        continue
                    data = {k: v for k, v in ep.data.items() if k != SIGNALS_BEFORE}
                    writer.add_episode(Episode(ep.task, {**data, SIGNALS_AFTER: replay.signals}, ep.videos, ep.meta))
                    report.annotated.append(i)
            if report.diverged and not skip_diverged:
                raise DatasetError(
                    f"dataset {source.root}: {'; '.join(report.lines())} (nothing written; "
                    "--skip-diverged writes the others)"
                )
            if not report.annotated:
                raise DatasetError(f"dataset {source.root}: no episode replays, nothing to annotate")
            write_json(tmp / SIDECAR, {"mode": "auto", "source": str(source.root), "diverged": report.diverged})
    finally:
        replayer.close()
        source.close()
    return report
