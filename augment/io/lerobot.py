"""LeRobot v3.0 (the store's own layout) and GR00T's `meta/modality.json`.

Export copies the dataset (it already is LeRobot v3.0) and adds `modality.json`, which Isaac
GR00T fine-tuning reads to slice `observation.state` and `action` into named parts. Import reads
any v3.0 dataset, lerobot's own packing included, through `Dataset`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...envs.observation import EEF_POS, ENVIRONMENT_STATE, IMAGE_PREFIX, STATE
from ..data.dataset import Dataset
from .source import SourceEpisode

# observation.state part → GR00T sub-key (with rotation types where they apply)
STATE_PARTS = {f.label: {"rotation_type": "quaternion"} if f.quaternion else {} for f in STATE.fields}
# action part → GR00T sub-key; the TCP displacement is named after the state part it moves
ACTION_PARTS = {
    EEF_POS.label: (0, 3, {"absolute": False}),
    "eef_rot": (3, 6, {"rotation_type": "axis_angle", "absolute": False}),
    "gripper": (6, 7, {}),
}


def _environment_groups(feature: dict[str, Any]) -> dict[str, Any]:
    """GR00T state groups for `observation.environment_state` (the object poses): one per
    contiguous `<object>.<part>` run of its names (`cube.pos.x`…), quaternions marked; foreign
    data without such names is one opaque block."""
    names = feature.get("names") or []
    dim = int(feature["shape"][0])
    groups: dict[str, Any] = {}
    runs: list[tuple[str, int, int]] = []
    for i, name in enumerate(names):
        key = "_".join(str(name).split(".")[:2])
        if runs and runs[-1][0] == key and runs[-1][2] == i:
            runs[-1] = (key, runs[-1][1], i + 1)
        else:
            runs.append((key, i, i + 1))
    keys = [k for k, _, _ in runs]
    if len(names) != dim or len(set(keys)) != len(keys) or any(len(str(n).split(".")) < 3 for n in names):
        runs = [(ENVIRONMENT_STATE.short_key, 0, dim)]
    for key, a, b in runs:
        extra = {"rotation_type": "quaternion"} if key.endswith("_quat") and b - a == 4 else {}
        groups[key] = {"start": a, "end": b, "original_key": ENVIRONMENT_STATE.key, **extra}
    return groups


def modality_json(ds: Dataset) -> dict[str, Any]:
    """GR00T's modality description of `ds` (shared/FORMATS.md §2.3): state and action slices
    from the features' names (the object poses in `observation.environment_state` as state groups
    with that `original_key`), each with its column's dtype, camera keys, and the task annotation
    when the data has one."""
    state: dict[str, Any] = {}
    names = ds.features.get(STATE.key, {}).get("names") or []
    for part, extra in STATE_PARTS.items():
        idx = [i for i, n in enumerate(names) if n.split(".")[0] == part]
        if idx:
            state[part] = {"start": idx[0], "end": idx[-1] + 1, **extra}
    if not state and STATE.key in ds.features:  # foreign data: one opaque block
        state[STATE.short_key] = {"start": 0, "end": int(ds.features[STATE.key]["shape"][0])}
    for group in state.values():
        group["dtype"] = ds.features[STATE.key]["dtype"]
    env_state = ds.features.get(ENVIRONMENT_STATE.key)
    if env_state is not None and len(env_state["shape"]) == 1:
        for key, group in _environment_groups(env_state).items():
            state.setdefault(key if key not in state else f"env_{key}", {**group, "dtype": env_state["dtype"]})
    action_dim = int(ds.features["action"]["shape"][0])
    if action_dim == 7:
        action = {k: {"start": a, "end": b, **extra} for k, (a, b, extra) in ACTION_PARTS.items()}
    else:
        action = {"action": {"start": 0, "end": action_dim}}
    for group in action.values():
        group["dtype"] = ds.features["action"]["dtype"]
    out: dict[str, Any] = {
        "state": state,
        "action": action,
        "video": {k.removeprefix(IMAGE_PREFIX): {"original_key": k} for k in ds.video_keys},
    }
    annotations = [k for k in ds.features if k.startswith("annotation.")]
    if annotations:
        out["annotation"] = {k.removeprefix("annotation."): {} for k in annotations}
    return out


def save_lerobot(ds: Dataset, out: Path) -> None:
    """Copy `ds` to `out` as a LeRobot v3.0 dataset plus meta/modality.json.

    Only regular files are copied (a symbolic link is refused), only the committed episodes'
    files (a killed writer's orphans stay behind), and info.json, stats.json and tasks.parquet are
    written from the committed episodes, never copied: after a kill they may trail them."""
    import json

    import pandas as pd

    from ..data import safety
    from ..data.card import write_card
    from ..data.dataset import DATA_PATH, EPISODES_PATH, VIDEO_PATH, write_json
    from ..data.stats import to_json

    safety.refuse_symlinks(ds.root, "dataset")
    for i in range(len(ds)):  # every committed episode reads back (finite numbers, complete files)
        ds.episode(i, videos=False)
    keep = {f.resolve() for f in ds.episodes.files}  # not an interrupted pack's leftover meta files
    videos = {}
    for row in ds.episodes:
        keep.add(ds.data_file(row).resolve())
        videos.update({ds.video_file(row, key): key for key in ds.video_keys})
    for path, key in videos.items():  # copied as they are: each one's frame size is checked first
        ds.video_frames_declared(key, path)
        keep.add(path.resolve())
    layout = [
        (ds.root / p.split("{")[0]).resolve()
        for p in (ds.info.get("data_path") or DATA_PATH, ds.info.get("video_path") or VIDEO_PATH, EPISODES_PATH)
    ]

    def ignore(folder: str, names: list[str]) -> list[str]:
        skip = []
        for name in names:
            p = (Path(folder) / name).resolve()
            in_layout = any(p == d or d in p.parents for d in layout)
            if name.endswith(".tmp") or (p.is_file() and in_layout and p not in keep):
                skip.append(name)
        return skip

    shutil.copytree(ds.root, out, ignore=ignore)
    write_json(out / "meta" / "info.json", ds.info)
    stats = ds.stats
    if stats:
        write_json(out / "meta" / "stats.json", {k: to_json(v) for k, v in stats.items()})
    ordered = sorted(ds.tasks.items())
    df = pd.DataFrame({"task_index": [i for i, _ in ordered]}, index=pd.Index([t for _, t in ordered], name="task"))
    df.to_parquet(out / "meta" / "tasks.parquet")
    (out / "meta" / "modality.json").write_text(json.dumps(modality_json(ds), indent=2))
    write_card(ds, out)  # the source's card may trail its episodes after a kill: written afresh


def load_lerobot(path: Path) -> Iterator[SourceEpisode]:
    ds = Dataset(path)
    for i in range(len(ds)):
        ep = ds.episode(i)
        yield SourceEpisode(
            name=f"{path.name}:episode {i}", task=ep.task, fields={**ep.data, **ep.videos}, meta=ep.meta
        )


def default_target(source: str, values) -> str | None:
    return source
