"""`import_dataset` and `export_dataset`: external formats in and out of the store.

Both write into a hidden temporary sibling of the destination and rename it into place at the
end, so a malformed or truncated input leaves the destination untouched (absent), never half full.
A folder destination is created empty and held with collect's folder lock meanwhile (so no
collect, generate, train, import or export writes it too), and the final rename never replaces
what appeared there (`rename_new`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...envs import ConfigError, DemoforgeError, UnknownNameError
from ...envs.observation import is_image_key
from ..data import safety
from ..data.dataset import Dataset, DatasetError, Episode, video_feature
from ..data.lock import published
from ..data.writer import DatasetWriter
from . import gr00t, lerobot, minari, robomimic
from .mapping import FieldMapping, check_feature_shapes, load_mapping
from .real_robot import RealRobotCompleter, RealRobotImport
from .source import SourceEpisode

EXACT_PREFIXES = ("demoforge/", "infos/")  # our own exact copies win over cast standard fields
Loader = Callable[[Path], Iterator[SourceEpisode]]


@dataclass(frozen=True)
class Format:
    """One external format: how to recognise a source in it, read it and write it.

    detect(src): whether `src` is in this format; read(src): its episodes; default_target(field,
    values): the demoforge feature a source field maps to (None: none); write(ds, out, dataset_id):
    export `ds` to the new path `out`; fps(src): the source's frame rate where it states one."""

    name: str
    what: str  # how an error names a source in this format
    detect: Callable[[Path], bool]
    read: Loader
    default_target: Callable[[str, np.ndarray], str | None]
    write: Callable[[Dataset, Path, str | None], None]
    fps: Callable[[Path], int | None] = lambda _src: None
    writes_folder: bool = True  # False: `write` makes one file (robomimic's .hdf5)


def _is_lerobot(src: Path, v2: bool) -> bool:
    """Whether `src` is a folder with meta/info.json whose codebase_version is v2.x (`v2`) or not."""
    if not (src.is_dir() and (src / "meta" / "info.json").is_file()):
        return False
    try:
        info = safety.read_json(src / "meta" / "info.json", "dataset file")
    except DemoforgeError as exc:
        raise DatasetError(str(exc)) from None
    return str(info.get("codebase_version", "")).startswith("v2.") == v2


def _minari_id(ds: Dataset, dataset_id: str | None) -> str:
    task = re.sub(r"[^a-z0-9_-]+", "-", str(ds.meta(0).get("task") or "dataset").lower()).strip("-")
    return dataset_id or f"demoforge/{task or 'dataset'}-v0"


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "lerobot",
            "LeRobot v3 folder",
            lambda src: _is_lerobot(src, v2=False),
            lerobot.load_lerobot,
            lerobot.default_target,
            lambda ds, out, _id: lerobot.save_lerobot(ds, out),
            fps=lambda src: Dataset(src).fps,  # validates info.json, the episode index and the path templates
        ),
        Format(
            "gr00t",
            "GR00T (LeRobot v2.1) folder",
            lambda src: _is_lerobot(src, v2=True),
            gr00t.load_gr00t,
            lerobot.default_target,
            lambda ds, out, _id: gr00t.save_gr00t(ds, out),
            fps=lambda src: safety.read_json(src / "meta" / "info.json", "dataset file").get("fps"),
        ),
        Format(
            "minari",
            "Minari dataset folder",
            lambda src: src.is_dir() and (src / "data" / "metadata.json").is_file(),
            minari.load_minari,
            minari.default_target,
            lambda ds, out, dataset_id: minari.save_minari(ds, out, _minari_id(ds, dataset_id)),
        ),
        Format(
            "robomimic",
            "robomimic .hdf5 file",
            lambda src: src.is_file() and src.suffix in (".hdf5", ".h5"),
            robomimic.load_robomimic,
            robomimic.default_target,
            lambda ds, out, _id: robomimic.save_robomimic(ds, out),
            writes_folder=False,
        ),
    )
}


def _format(fmt: str, use: str) -> Format:
    if fmt not in FORMATS:
        raise UnknownNameError(f"unknown {use} format {fmt!r}; known: {', '.join(FORMATS)}")
    return FORMATS[fmt]


@dataclass
class ImportReport:
    format: str
    episodes: int = 0
    frames: int = 0
    mapped: dict[str, str] = field(default_factory=dict)  # source field → feature
    unmapped: dict[str, str] = field(default_factory=dict)  # source field → why it was left out
    missing: dict[str, str] = field(default_factory=dict)  # feature generation needs → what supplies it


def detect_format(src: Path) -> str:
    """The first format in FORMATS whose `detect` accepts `src` (lerobot and gr00t: a folder with
    meta/info.json, told apart by its codebase_version; minari: a folder with data/metadata.json;
    robomimic: an .hdf5/.h5 file)."""
    for f in FORMATS.values():
        if f.detect(src):
            return f.name
    if not src.exists():
        raise FileNotFoundError(f"import source {src} not found")
    kinds = [f.what for f in FORMATS.values()]
    raise DatasetError(f"import source {src}: not a {', '.join(kinds[:-1])} or {kinds[-1]}")


def _map_episode(src: SourceEpisode, mapping: FieldMapping, default, report: ImportReport) -> Episode:
    data: dict[str, np.ndarray] = {}
    videos: dict[str, np.ndarray] = {}
    composed = _compose(src, mapping)
    consumed = {source for sources in mapping.compose.values() for source in sources}
    order = sorted(
        (k for k in src.fields if k not in consumed), key=lambda k: k.startswith(EXACT_PREFIXES)
    )  # exact copies last: they win
    taken: dict[str, str] = {}  # feature → the source field mapped to it
    for source in order:
        values = np.asarray(src.fields[source])
        target = mapping.target(source, default(source, values))
        if target is not None and target in taken:
            first = taken[target]
            exact_copy = source.startswith(EXACT_PREFIXES) and not first.startswith(EXACT_PREFIXES)
            if not exact_copy or source in mapping.rename or first in mapping.rename:
                raise ConfigError(
                    f"import {src.name}: fields {first!r} and {source!r} both map to {target!r}; "
                    "rename one of them or ignore it in the mapping"
                )
        if target is not None:
            taken[target] = source
        if target is None:
            why = "ignored by the mapping" if source in mapping.ignore else "no demoforge feature for it"
            report.unmapped.setdefault(source, why)
            continue
        if values.dtype.kind in "OUS":
            report.unmapped.setdefault(source, f"text data ({values.dtype}) is not a frame feature")
            continue
        if is_image_key(target) and values.ndim == 4 and values.shape[-1] == 3:
            videos[target] = values.astype(np.uint8)
        elif values.ndim <= 2:
            data[target] = values
        else:
            report.unmapped.setdefault(source, f"per-frame shape {values.shape[1:]} is not a vector or an RGB image")
            continue
        report.mapped[source] = target
    origin = {target: repr(source) for target, source in taken.items()}
    for target, values in composed.items():
        sources = list(mapping.compose[target])
        if target in taken:
            raise ConfigError(
                f"import {src.name}: field {taken[target]!r} and [compose] {sources} both map to {target!r}; "
                "rename one of them or ignore it in the mapping"
            )
        data[target] = values
        origin[target] = f"[compose] {sources}"
        for source in sources:
            report.mapped[source] = target
    for skipped in src.skipped:
        report.unmapped.setdefault(skipped, "not read by the importer (derived or simulator-specific)")
    if "action" not in data:
        raise DatasetError(f"import {src.name}: no field maps to 'action' (fields: {sorted(src.fields)})")
    check_feature_shapes(f"import {src.name}", data, origin)
    return Episode(task=src.task, data=data, videos=videos, meta={**src.meta, "imported_from": src.name})


def _compose(src: SourceEpisode, mapping: FieldMapping) -> dict[str, np.ndarray]:
    """The mapping's [compose] features of `src`: the listed fields concatenated per frame."""
    out = {}
    for target, sources in mapping.compose.items():
        missing = [s for s in sources if s not in src.fields]
        if missing:
            raise DatasetError(
                f"import {src.name}: [compose] {target!r} needs field {missing[0]!r}, which the source lacks "
                f"(fields: {sorted(src.fields)})"
            )
        parts = [np.asarray(src.fields[s]) for s in sources]
        lengths = {s: len(p) if p.ndim else 0 for s, p in zip(sources, parts)}
        if len(set(lengths.values())) != 1 or any(p.dtype.kind not in "biuf" for p in parts):
            raise DatasetError(
                f"import {src.name}: [compose] {target!r} needs numeric fields with one row per frame "
                f"(frames: {lengths})"
            )
        n = len(parts[0])
        out[target] = np.concatenate([p.reshape(n, -1) for p in parts], axis=1)
    return out


def _features_of(ep: Episode, fps: int) -> dict:
    feats = {}
    for key, values in ep.data.items():
        dtype = "bool" if values.dtype == bool else str(values.dtype)
        feats[key] = {"dtype": dtype, "shape": list(values.shape[1:]) or [1], "names": None}
    for key, frames in ep.videos.items():
        feats[key] = video_feature(frames.shape[1], frames.shape[2], fps)
    return feats


# What generation reads that an import may lack, and what supplies it (a real robot's data
# usually lacks the first two: it records joint angles, not poses).
SUPPLIERS = {
    "datagen.eef_pose": "--robot (forward kinematics of the joint angles) or a [compose] mapping",
    "datagen.object_poses": "--object-poses (each episode's initial object poses) or a [compose] mapping",
    "action": "the source's action field, renamed in the mapping",
}


def import_dataset(
    src: str | Path,
    out: str | Path,
    mapping: str | Path | FieldMapping | None = None,
    fmt: str | None = None,
    fps: int | None = None,
    real_robot: RealRobotImport | None = None,
) -> ImportReport:
    """Import a LeRobot v3 folder, a robomimic HDF5 file or a Minari dataset folder into a new
    demoforge dataset at `out`. `mapping` renames/ignores source fields (see io/mapping.py);
    `real_robot` computes the TCP and object poses generation needs from joint angles and a side
    file of initial object poses (io/real_robot.py). The report's `missing` names each feature
    generation needs that the output still lacks, with what supplies it.
    Raises DatasetError (naming the source file) on malformed input; `out` is then left absent."""
    src, out = Path(src), Path(out)
    fmt = fmt or detect_format(src)
    spec = _format(fmt, "import")
    field_map = mapping if isinstance(mapping, FieldMapping) else load_mapping(mapping)
    if fps is None:
        fps = spec.fps(src)
    fps = 20 if fps is None else fps
    if isinstance(fps, bool) or not isinstance(fps, int) or not 1 <= fps <= 10_000:
        raise ConfigError(f"import fps {fps!r}: expected a whole number of frames per second in 1..10000")
    report = ImportReport(format=fmt)
    completer = RealRobotCompleter(real_robot) if real_robot else None  # reads the side file first
    try:
        if completer is not None:
            completer.check_fps(fps, f"import source {src}")
        with published(out, "import") as tmp:
            writer = None
            for index, source_episode in enumerate(spec.read(src)):
                ep = _map_episode(source_episode, field_map, spec.default_target, report)
                if completer is not None:
                    ep = completer.complete(ep, index, f"import {source_episode.name}")
                if writer is None:
                    robot = (
                        {} if completer is None else {"robot_type": real_robot.robot, "robot": completer.robot.layout()}
                    )
                    writer = DatasetWriter.create(tmp, _features_of(ep, fps), fps=fps, **robot)
                writer.add_episode(ep)
                report.episodes += 1
                report.frames += ep.length
            if writer is None:
                raise DatasetError(f"import source {src}: holds no episodes")
            if completer is not None:
                completer.check_count(report.episodes)
            writer.close()
            report.missing = {k: why for k, why in SUPPLIERS.items() if k not in writer.features}
    finally:
        if completer is not None:
            completer.close()
    return report


def export_dataset(src: str | Path, fmt: str, out: str | Path, dataset_id: str | None = None) -> Path:
    """Export the dataset at `src` to `out` as `fmt` (lerobot | gr00t | minari | robomimic). `out`
    must not exist: a folder for lerobot, gr00t and minari (a Minari root), a .hdf5 file for robomimic."""
    ds = Dataset(src)
    out = Path(out)
    spec = _format(fmt, "export")
    if dataset_id is not None:
        minari.check_dataset_id(dataset_id, "--dataset-id")
    if len(ds) == 0:
        raise DatasetError(f"dataset {src}: has no episodes to export")
    try:
        with published(out, "export", spec.writes_folder) as tmp:
            spec.write(ds, tmp, dataset_id)
    finally:
        ds.close()
    return out
