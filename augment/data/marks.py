"""Subtask boundaries a person marked (`demoforge annotate --by-hand` and `--csv`, issue 39): for
each episode, the frame that ends each of the task's subtask signals, written as the column the
recorder would have written (`next.subtask_signals`), so generation cuts the demos there.

A mark is a video frame: "signal s ends its subtask at frame f" means frame f is the first frame
that shows s on (the grasp closed, the cube lifted). In the recorder's layout, where row t holds
the signals after action t, that is s on from row f − 1 on; `record.signals_in_frames` reads it back
as on from frame f, and `generate.segment.boundaries` ends the subtask after frame f, as it does for
a recorded demo whose signal turned on there. Frame 0 is the reset state, which no signal marks.

The CSV form is one mark a line, `episode,signal,frame` (a header line with those names first)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ...envs import EnvConfig, make_task_env, resolve_task_name
from ...envs.robots import DEFAULT_ROBOT
from .annotate import SIDECAR
from .dataset import DEFAULT_FEATURES, Dataset, Episode, write_json
from .lock import published
from .record import SIGNALS_AFTER, SIGNALS_BEFORE, features_for
from .replay import SETTINGS
from .safety import DatasetError, read_json
from .writer import DatasetWriter

Marks = dict[int, dict[str, int]]  # episode index → signal name → frame that ends its subtask
CSV_COLUMNS = ("episode", "signal", "frame")


def task_signals(source: Dataset, task: str | None = None) -> tuple[str, dict]:
    """The task of `source` (or `task`) and its `next.subtask_signals` feature (names in order)."""
    name = task or (source.meta(0).get("task") if len(source) else None)
    if not name:
        raise DatasetError(f"dataset {source.root}: its episodes do not name their task; pass --task")
    env = make_task_env(resolve_task_name(name), config=EnvConfig())
    try:
        return env.task.name, features_for(env)[SIGNALS_AFTER]
    finally:
        env.close()


def signals_from_marks(length: int, names: list[str], marks: dict[str, int], where: str) -> np.ndarray:
    """(length, len(names)) bool `next.subtask_signals` with each signal on from its mark on."""
    unknown = sorted(set(marks) - set(names))
    if unknown:
        raise DatasetError(f"{where}: signal {unknown[0]!r} is not the task's (its signals: {', '.join(names)})")
    missing = [n for n in names if n not in marks]
    if missing:
        raise DatasetError(f"{where}: no frame marked for signal {missing[0]!r} (mark each of {', '.join(names)})")
    out = np.zeros((length, len(names)), bool)
    for name, frame in marks.items():
        if isinstance(frame, bool) or not isinstance(frame, int) or not 1 <= frame <= length - 1:
            raise DatasetError(f"{where}: {name} at frame {frame!r}, expected a frame in 1..{length - 1}")
        out[frame - 1 :, names.index(name)] = True
    return out


def read_marks_csv(path: str | Path) -> Marks:
    """The marks of a CSV file (`episode,signal,frame` lines); a bad line is one DatasetError."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"annotate --csv: {path} is not a file")
    marks: Marks = {}
    with path.open(newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        header = next(rows, None)
        if header is None or tuple(h.strip() for h in header) != CSV_COLUMNS:
            raise DatasetError(f"{path}:1: header {header!r}, expected {','.join(CSV_COLUMNS)}")
        for number, row in enumerate(rows, 2):
            if not row:
                continue
            try:
                episode, signal, frame = row
                episode_i, frame_i = int(episode), int(frame)
            except ValueError:
                raise DatasetError(f"{path}:{number}: {row!r}, expected episode,signal,frame (integers)") from None
            if signal.strip() in marks.setdefault(episode_i, {}):
                raise DatasetError(f"{path}:{number}: episode {episode_i} {signal.strip()} marked twice")
            marks[episode_i][signal.strip()] = frame_i
    return marks


def annotate_marks(dataset: str | Path, out: str | Path, marks: Marks, mode: str, task: str | None = None) -> None:
    """Write `dataset` with `next.subtask_signals` made of `marks` to the new dataset `out`; every
    episode needs a mark for each of the task's signals. Nothing is written on an error."""
    source, out = Dataset(dataset), Path(out)
    try:
        task_name, feature = task_signals(source, task)
        names = list(feature["names"])
        extra = sorted(set(marks) - set(range(len(source))))
        if extra:
            raise DatasetError(f"annotate: episode {extra[0]} is not in {source.root} ({len(source)} episodes)")
        unmarked = [i for i in range(len(source)) if i not in marks]
        if unmarked:
            raise DatasetError(f"annotate: episode {unmarked[0]} has no marks (every episode needs them)")
        features = {
            k: v
            for k, v in source.info["features"].items()
            if k not in DEFAULT_FEATURES and k not in (SIGNALS_BEFORE, SIGNALS_AFTER)
        }
        features[SIGNALS_AFTER] = feature
        sidecars = {r: read_json(source.root / r, "dataset file") for r in SETTINGS if (source.root / r).is_file()}
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
                    signals = signals_from_marks(ep.length, names, marks[i], f"annotate: episode {i}")
                    data = {k: v for k, v in ep.data.items() if k not in (SIGNALS_BEFORE, SIGNALS_AFTER)}
                    writer.add_episode(Episode(ep.task, {**data, SIGNALS_AFTER: signals}, ep.videos, ep.meta))
            record = {"mode": mode, "source": str(source.root), "task": task_name}
            write_json(tmp / SIDECAR, {**record, "marks": {str(i): marks[i] for i in sorted(marks)}})
    finally:
        source.close()
