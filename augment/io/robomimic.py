"""robomimic / MimicGen HDF5 (shared/FORMATS.md §3).

Export layout: `data` (attrs `total`, `env_args` JSON with `type` int and `env_kwargs`, and
`demoforge_robot`, the recorded robot layout as JSON, when the dataset has one), one
`demo_<i>` group per episode with `actions` (N, 7), `rewards`, `dones`, `states` (the MuJoCo
qpos ‖ qvel), `obs/<key>` and `next_obs/<key>` (robomimic trains on both by default), MimicGen's
`datagen_info/` (4×4 eef and object poses, subtask signals, gripper action) when the episode
has them, and `demoforge/<feature>` exact copies of every other feature so an import gets back
the same arrays. `mask/train` lists every demo.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np

from ...envs.geometry import pose7_to_mat
from ...envs.observation import IMAGE_PREFIX, OBSERVATION_PREFIX, camera_feature, is_image_key
from ..data import safety
from ..data.dataset import Dataset, DatasetError
from ..data.record import signal_names, signals_in_frames
from .source import SourceEpisode

STANDARD = {"action": "actions", "next.reward": "rewards", "next.done": "dones", "sim.state": "states"}


def obs_key(feature: str) -> str | None:
    """The key robomimic files keep feature `feature` under in `obs/` (None: not an observation)."""
    if is_image_key(feature):
        return feature.removeprefix(IMAGE_PREFIX) + "_image"
    if feature.startswith(OBSERVATION_PREFIX):
        return feature.removeprefix(OBSERVATION_PREFIX)
    return None


def _write_datagen_info(group: h5py.Group, data: dict[str, np.ndarray], ds: Dataset) -> None:
    """MimicGen's per-step record, derived from our exact poses and signals."""
    info = group.create_group("datagen_info")
    info.attrs["env_interface_name"] = "demoforge"
    info.attrs["env_interface_type"] = "demoforge"
    info["eef_pose"] = pose7_to_mat(data["datagen.eef_pose"])
    info["gripper_action"] = data["action"][:, 6:7]
    objects = info.create_group("object_poses")
    poses = data["datagen.object_poses"]
    names = ds.features["datagen.object_poses"]["names"] or []
    for k in range(poses.shape[1] // 7):
        name = names[7 * k].split(".")[0] if names else f"object{k}"
        objects[name] = pose7_to_mat(poses[:, 7 * k : 7 * k + 7])
    # MimicGen's signals are those of the state each step is taken in
    in_frames = signals_in_frames(data)
    if in_frames is not None:
        signals = info.create_group("subtask_term_signals")
        for j, name in enumerate(signal_names(ds.features)):
            signals[name] = in_frames[:, j].astype(np.int64)


def save_robomimic(ds: Dataset, out: Path) -> None:
    """Write every episode of `ds` into the HDF5 file `out` (which must not exist)."""
    with h5py.File(out, "w") as f:
        data = f.create_group("data")
        total, names = 0, []
        for i in range(len(ds)):
            ep = ds.episode(i)
            g = data.create_group(f"demo_{i}")
            n = ep.length
            g["actions"] = np.asarray(ep.data["action"], np.float64).reshape(n, -1)
            g["rewards"] = np.asarray(ep.data.get("next.reward", np.zeros(n)), np.float64).reshape(n)
            dones = ep.data.get("next.done", np.arange(n) == n - 1)
            g["dones"] = np.asarray(dones, np.int64).reshape(n)
            g["states"] = np.asarray(ep.data.get("sim.state", np.zeros((n, 1))), np.float64)
            obs, next_obs = g.create_group("obs"), g.create_group("next_obs")
            extra = g.create_group("demoforge")
            for key, values in {**ep.data, **ep.videos}.items():
                name = obs_key(key)
                if name is not None:
                    obs[name] = values
                    next_obs[name] = np.concatenate((values[1:], values[-1:]))
                if key not in STANDARD and name is None:
                    extra[key] = values
            for key in ("action", "next.reward", "next.done", "sim.state"):
                if key in ep.data:  # exact copies: the standard datasets above are cast to robomimic's types
                    extra[key] = ep.data[key]
            if "datagen.eef_pose" in ep.data and "datagen.object_poses" in ep.data:
                _write_datagen_info(g, ep.data, ds)
            g.attrs["num_samples"] = n
            g.attrs["task"] = ep.task
            g.attrs["demoforge_meta"] = json.dumps(ep.meta)
            total += n
            names.append(f"demo_{i}")
        data.attrs["total"] = total
        data.attrs["env_args"] = json.dumps(_env_args(ds))
        if "robot" in ds.info:  # the robot's joint layout, as the dataset recorded it (info.json `robot`)
            data.attrs["demoforge_robot"] = json.dumps(ds.info["robot"])
        f.create_group("mask")["train"] = np.array(names, dtype="S")


def _env_args(ds: Dataset) -> dict:
    """robomimic's env metadata. `env_kwargs` go to the env constructor
    (`demoforge.augment.io.robomimic_env.RobomimicEnv`): the domain profile the demos came from, the
    cameras (videos) and their (height, width)."""
    meta = ds.meta(0) if len(ds) else {}
    cameras = sorted(k.removeprefix(IMAGE_PREFIX) for k in ds.video_keys)
    kwargs: dict = {"fps": ds.fps, "source": "demoforge", "profile": meta.get("profile", "nominal")}
    kwargs["cameras"] = cameras
    if cameras:
        kwargs["image_size"] = list(ds.features[camera_feature(cameras[0]).key]["shape"][:2])
    return {"env_name": meta.get("task", "demoforge"), "type": 2, "env_kwargs": kwargs}


def load_robomimic(path: Path) -> Iterator[SourceEpisode]:
    """Episodes of a robomimic-style HDF5 file, as (source field name → array). The whole file is
    checked first (`safety.check_hdf5`): no external links or storage, no declared sizes the file
    cannot hold."""
    safety.check_hdf5(path)
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise DatasetError(f"robomimic file {path}: not a readable HDF5 file ({exc})") from None
    with f:
        if "data" not in f:
            raise DatasetError(f"robomimic file {path}: no 'data' group")
        demos = list(f["data"].keys())
        bad = [d for d in demos if not (d.startswith("demo_") and d[5:].isdigit())]
        if bad:
            raise DatasetError(f"robomimic file {path}: data/{bad[0]} is not named demo_<int>")
        env_args = _json_attr(path, "data", f["data"].attrs.get("env_args"))
        for name in sorted(demos, key=lambda d: int(d[5:])):
            g = f["data"][name]
            if "actions" not in g:
                raise DatasetError(f"robomimic file {path}: data/{name} has no 'actions'")
            if not isinstance(g, h5py.Group):
                raise DatasetError(f"robomimic file {path}: data/{name} is not a group")
            fields: dict[str, np.ndarray] = {}
            skipped = [k for k in g if k not in ("actions", "rewards", "dones", "states", "obs", "demoforge")]
            try:
                for key in ("actions", "rewards", "dones", "states"):
                    if key in g:
                        _take(fields, key, g[key], skipped)
                for group in ("obs", "demoforge"):
                    if group in g:
                        if not isinstance(g[group], h5py.Group):
                            raise DatasetError(f"robomimic file {path}: data/{name}/{group} is not a group")
                        for key in g[group]:
                            _take(fields, f"{group}/{key}", g[group][key], skipped)
            except (OSError, KeyError, TypeError) as exc:
                raise DatasetError(f"robomimic file {path}: data/{name} unreadable ({exc})") from None
            if "actions" not in fields or fields["actions"].ndim == 0:
                raise DatasetError(f"robomimic file {path}: data/{name}/actions is not a numeric (N, D) array")
            n = len(fields["actions"])
            if g.attrs.get("num_samples", n) != n:
                raise DatasetError(
                    f"robomimic file {path}: data/{name} num_samples {g.attrs['num_samples']} != {n} actions"
                )
            meta = _json_attr(path, f"data/{name} demoforge_meta", g.attrs.get("demoforge_meta"))
            task = str(g.attrs.get("task", env_args.get("env_name", "demo")))
            yield SourceEpisode(name=f"{path.name}:data/{name}", task=task, fields=fields, meta=meta, skipped=skipped)


def _take(fields: dict, key: str, obj, skipped: list[str]) -> None:
    """Read a numeric dataset (checked by safety.check_hdf5); groups and text are listed as skipped."""
    if not isinstance(obj, h5py.Dataset) or obj.dtype.kind not in "biuf":
        skipped.append(key)
        return
    fields[key] = obj[()]


def _json_attr(path: Path, where: str, raw) -> dict:
    if raw is None or raw == "" or raw == b"":
        return {}
    try:
        value = json.loads(raw.decode() if isinstance(raw, bytes) else str(raw))
    except (ValueError, UnicodeDecodeError) as exc:
        raise DatasetError(f"robomimic file {path}: {where} attribute is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise DatasetError(f"robomimic file {path}: {where} attribute is not a JSON object")
    return value


def default_target(source: str, values: np.ndarray) -> str | None:
    """demoforge's name for a robomimic field (None: not imported)."""
    if source.startswith("demoforge/"):
        return source.removeprefix("demoforge/")
    if source.startswith("obs/"):
        key = source.removeprefix("obs/")
        if values.dtype == np.uint8 and values.ndim == 4:
            return IMAGE_PREFIX + key.removesuffix("_image")
        return OBSERVATION_PREFIX + key
    return {v: k for k, v in STANDARD.items()}.get(source)
