"""Minari datasets, written and read with minari's own API (shared/FORMATS.md §4).

Export: a Minari root folder holding `<namespace>/<name>-v<N>/data/`, loadable with
`minari.load_dataset(id)` once MINARI_DATASETS_PATH points at it. Observations are a Dict of the
`observation.*` features (cameras as raw uint8 arrays, `jpeg_encoding=False`, so nothing is lossy);
Minari wants one more observation than actions, so the last frame's observation is repeated.
Every other feature rides in `infos` (same N + 1 rule) so an import gets back the same arrays.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import gymnasium as gym
import numpy as np

from ...envs import ConfigError, DemoforgeError, resolve_task_name
from ...envs.observation import ENV_IMAGE_PREFIX, IMAGE_PREFIX, OBSERVATION_PREFIX, env_image_key, is_image_key
from ..data import safety
from ..data.dataset import Dataset, DatasetError
from .source import SourceEpisode

STANDARD = {"action", "next.reward", "next.done"}


@contextmanager
def minari_root(root: Path):
    """minari reads MINARI_DATASETS_PATH on every call; point it at `root` for the block."""
    old = os.environ.get("MINARI_DATASETS_PATH")
    os.environ["MINARI_DATASETS_PATH"] = str(Path(root).resolve())  # minari mangles relative paths
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("MINARI_DATASETS_PATH", None)
        else:
            os.environ["MINARI_DATASETS_PATH"] = old


def _obs_key(feature: str) -> str | None:
    if is_image_key(feature):
        return env_image_key(feature.removeprefix(IMAGE_PREFIX))
    if feature.startswith(OBSERVATION_PREFIX):
        return feature.removeprefix(OBSERVATION_PREFIX)
    return None


def _space(feature: dict) -> gym.spaces.Box:
    if feature["dtype"] == "video":
        return gym.spaces.Box(0, 255, tuple(feature["shape"]), np.uint8)
    return gym.spaces.Box(-np.inf, np.inf, tuple(feature["shape"]), np.dtype(feature["dtype"]))


def _plus_last(values: np.ndarray) -> np.ndarray:
    return np.concatenate((values, values[-1:]))


def save_minari(ds: Dataset, root: Path, dataset_id: str) -> None:
    """Write `ds` as Minari dataset `dataset_id` under the root folder `root`."""
    import minari
    from minari.data_collector import EpisodeBuffer

    obs_features = {k: f for k, f in ds.features.items() if _obs_key(k)}
    observation_space = gym.spaces.Dict({_obs_key(k): _space(f) for k, f in obs_features.items()})
    action_space = gym.spaces.Box(-1.0, 1.0, tuple(ds.features["action"]["shape"]), np.float32)
    buffers = []
    for i in range(len(ds)):
        ep = ds.episode(i)
        arrays = {**ep.data, **ep.videos}
        n = ep.length
        done = np.asarray(arrays.get("next.done", np.arange(n) == n - 1)).reshape(n).astype(bool)
        success = np.asarray(arrays.get("next.success", done)).reshape(n).astype(bool)
        # Every non-observation feature, the standard ones too: Minari casts rewards to float64,
        # and these exact copies are what an import reads back.
        infos = {k: _plus_last(np.asarray(v)) for k, v in arrays.items() if not _obs_key(k)}
        # h5py stores byte strings, not numpy unicode
        infos["demoforge_meta"] = np.array([json.dumps(ep.meta).encode()] * (n + 1), dtype="S")
        infos["task"] = np.array([ep.task.encode()] * (n + 1), dtype="S")
        buffers.append(
            EpisodeBuffer(
                id=i,
                observations={_obs_key(k): _plus_last(np.asarray(arrays[k])) for k in obs_features},
                actions=np.asarray(arrays["action"], np.float32),
                rewards=list(np.asarray(arrays.get("next.reward", np.zeros(n)), np.float64).reshape(n)),
                terminations=list(done & success),
                truncations=list(done & ~success),
                infos=infos,
            )
        )
    env_spec = _env_spec(ds)
    with minari_root(root), warnings.catch_warnings():
        # Without an env spec (foreign data no task env reproduces) minari warns that none is
        # attached: true, and the spaces are given explicitly instead.
        warnings.filterwarnings("ignore", message=".*(eval_env|env_spec).*")
        minari.create_dataset_from_buffers(
            dataset_id=dataset_id,
            buffer=buffers,
            env=env_spec,
            observation_space=observation_space,
            action_space=action_space,
            algorithm_name="demoforge",
            author="demoforge",
            author_email="demoforge@users.noreply.github.com",
            code_permalink="https://github.com/demoforge/demoforge",
            description=f"Exported by demoforge from {ds.root.name} ({len(ds)} episodes at {ds.fps} Hz).",
            jpeg_encoding=False,
        )


def _env_spec(ds: Dataset):
    """The EnvSpec of a task env whose observations are exactly the exported ones (see
    store_env.py), so `recover_environment()` works; None for data no task env reproduces."""
    from .store_env import store_env_spec

    try:
        task = resolve_task_name(str(ds.meta(0).get("task") or ""))
    except DemoforgeError:
        return None
    return store_env_spec(task, ds.features, ds.fps)


DATASET_ID = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9_.-]*/)*[A-Za-z0-9][A-Za-z0-9_.-]*-v[0-9]+$")


def check_dataset_id(dataset_id, what: str) -> str:
    """A Minari id, `[namespace/]name-vN`: each part a plain name (no `..`, no absolute path)."""
    if not isinstance(dataset_id, str) or not DATASET_ID.match(dataset_id) or ".." in dataset_id:
        raise ConfigError(
            f"{what} {dataset_id!r}: expected a Minari id like namespace/name-v0 (letters, digits, _ . -; no '..')"
        )
    return dataset_id


def find_minari_dataset(path: Path) -> tuple[Path, str]:
    """(root, dataset_id) for a Minari dataset folder (the one holding data/metadata.json)."""
    meta = path / "data" / "metadata.json"
    if not meta.is_file():
        raise DatasetError(f"minari dataset {path}: data/metadata.json missing")
    try:
        dataset_id = safety.read_json(meta, "minari file").get("dataset_id")
    except DemoforgeError as exc:
        raise DatasetError(str(exc)) from None
    if not dataset_id:
        raise DatasetError(f"minari dataset {path}: data/metadata.json has no dataset_id")
    check_dataset_id(dataset_id, f"minari dataset {path}: data/metadata.json dataset_id")
    path = path.resolve()
    if path.parts[-len(dataset_id.split("/")) :] != tuple(dataset_id.split("/")):
        raise DatasetError(f"minari dataset {path}: folder does not end in its dataset_id {dataset_id!r}")
    root = path
    for _ in dataset_id.split("/"):
        root = root.parent
    for f in sorted((path / "data").glob("*")):
        if f.is_symlink():
            raise DatasetError(f"minari dataset {path}: data/{f.name} is a symbolic link (refused)")
        if f.suffix in (".hdf5", ".h5"):
            safety.check_hdf5(f)
    return root, dataset_id


def load_minari(path: Path) -> Iterator[SourceEpisode]:
    """Episodes of the Minari dataset at folder `path` (observations lose their final row)."""
    import minari

    root, dataset_id = find_minari_dataset(path)
    with minari_root(root):
        try:
            dataset = minari.load_dataset(dataset_id)
        except Exception as exc:  # minari raises many types for a broken file
            raise DatasetError(f"minari dataset {path}: cannot be loaded ({type(exc).__name__}: {exc})") from None
        for ep in dataset.iterate_episodes():
            n = len(ep.actions)
            fields: dict[str, np.ndarray] = {"actions": np.asarray(ep.actions), "rewards": np.asarray(ep.rewards)}
            fields["dones"] = np.asarray(ep.terminations) | np.asarray(ep.truncations)
            obs = ep.observations if isinstance(ep.observations, dict) else {"obs": ep.observations}
            for key, values in obs.items():
                fields[f"observations/{key}"] = np.asarray(values)[:n]
            task, meta = dataset_id, {}
            for key, values in (ep.infos or {}).items():
                if key == "demoforge_meta":
                    try:
                        meta = json.loads(_text(np.asarray(values)[0]))
                    except ValueError as exc:
                        raise DatasetError(
                            f"minari dataset {path}: episode {ep.id} infos/demoforge_meta ({exc})"
                        ) from None
                    if not isinstance(meta, dict):
                        raise DatasetError(
                            f"minari dataset {path}: episode {ep.id} infos/demoforge_meta is not an object"
                        )
                elif key == "task":
                    task = _text(np.asarray(values)[0])
                else:
                    fields[f"infos/{key}"] = np.asarray(values)[:n]
            yield SourceEpisode(name=f"{dataset_id}:episode_{ep.id}", task=task, fields=fields, meta=meta)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def default_target(source: str, values: np.ndarray) -> str | None:
    if source.startswith("infos/"):
        return source.removeprefix("infos/")
    if source.startswith("observations/"):
        key = source.removeprefix("observations/")
        if key.startswith(ENV_IMAGE_PREFIX) and values.dtype == np.uint8 and values.ndim == 4:
            return IMAGE_PREFIX + key.removeprefix(ENV_IMAGE_PREFIX)
        return OBSERVATION_PREFIX + key
    return {"actions": "action", "rewards": "next.reward", "dones": "next.done"}.get(source)
