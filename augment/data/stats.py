"""Feature statistics in lerobot's layout: per episode, then aggregated without rereading frames.

Stats per feature: min, max, mean, std, count, q01, q10, q50, q90, q99 (lerobot's
compute_stats.py). Vectors give (D,) arrays; camera features give (3, 1, 1) arrays over pixel
values scaled to [0, 1]. Aggregation weights means and variances by frame count exactly and
quantiles by frame count approximately (a weighted mean of per-episode quantiles, as lerobot does),
so a writer holds one episode's frames at a time.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping

import numpy as np
import safetensors
import safetensors.numpy

from . import safety

QUANTILES = {"q01": 0.01, "q10": 0.10, "q50": 0.50, "q90": 0.90, "q99": 0.99}
STAT_KEYS = ("min", "max", "mean", "std", "count", *QUANTILES)


def vector_stats(values: np.ndarray) -> dict[str, np.ndarray]:
    """Stats of (T, ...) values over time (per dimension)."""
    v = values.reshape(len(values), -1).astype(np.float64, copy=False)  # read only: no copy of float64 input
    out = {
        "min": v.min(axis=0),
        "max": v.max(axis=0),
        "mean": v.mean(axis=0),
        "std": v.std(axis=0),
        "count": np.array([len(v)]),
    }
    qs = np.quantile(v, list(QUANTILES.values()), axis=0)  # one sort for all five
    out.update(zip(QUANTILES, qs))
    return out


def columns_stats(columns: Mapping[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    """`vector_stats` of each of an episode's (T, ...) arrays, computed side by side in one pass:
    numpy's per-call cost dominates at episode sizes (15 features of a Lift episode: 1.6 ms one at
    a time, 0.2 ms together). Each column's numbers are its own, whatever stands beside it."""
    flat = [np.asarray(v).reshape(len(v), -1) for v in columns.values()]
    if not flat:
        return {}
    together = vector_stats(np.concatenate(flat, axis=1, dtype=np.float64))  # cast once, in the one copy
    out, start = {}, 0
    for key, v in zip(columns, flat):
        stop = start + v.shape[1]
        out[key] = {k: (s if k == "count" else s[start:stop]) for k, s in together.items()}
        start = stop
    return out


def image_stats(frames: np.ndarray, max_samples: int = 20, stride: int = 4) -> dict[str, np.ndarray]:
    """Stats of (T, H, W, 3) uint8 frames per channel in [0, 1], shaped (3, 1, 1), over up to
    `max_samples` evenly spaced frames, every `stride`-th pixel (lerobot samples and downsizes
    too: exact quantiles over every pixel would cost more than encoding the video)."""
    idx = np.linspace(0, len(frames) - 1, min(len(frames), max_samples)).round().astype(int)
    px = frames[idx][:, ::stride, ::stride].reshape(-1, 3).astype(np.float64) / 255.0
    s = vector_stats(px)
    return {k: (v if k == "count" else v.reshape(3, 1, 1)) for k, v in s.items()} | {"count": np.array([len(frames)])}


def aggregate(per_episode: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Combine per-episode stats of one feature into dataset stats."""
    counts = np.array([float(s["count"][0]) for s in per_episode])
    w = counts / counts.sum()
    shape = np.asarray(per_episode[0]["mean"]).shape
    mean = sum(wi * np.asarray(s["mean"]) for wi, s in zip(w, per_episode))
    # total variance = mean of within-episode variances + variance of episode means
    var = sum(wi * (np.asarray(s["std"]) ** 2 + (np.asarray(s["mean"]) - mean) ** 2) for wi, s in zip(w, per_episode))
    out = {
        "min": np.min([np.asarray(s["min"]) for s in per_episode], axis=0).reshape(shape),
        "max": np.max([np.asarray(s["max"]) for s in per_episode], axis=0).reshape(shape),
        "mean": mean,
        "std": np.sqrt(var),
        "count": np.array([int(counts.sum())]),
    }
    for key in QUANTILES:
        out[key] = sum(wi * np.asarray(s[key]) for wi, s in zip(w, per_episode))
    return out


def merge(parts: list[dict[str, dict[str, np.ndarray]]]) -> dict[str, dict[str, np.ndarray]]:
    """Feature → stats over all `parts` (per-episode or already merged stats, in order). `aggregate`
    is mergeable, so a pack's stats merged with the next pack's equal the stats of their episodes
    (means and variances exactly up to rounding), and nothing needs rereading."""
    keys = parts[0].keys()
    if any(p.keys() != keys for p in parts):
        raise ValueError("stats name different features")
    return {k: aggregate([p[k] for p in parts]) for k in keys}


def check(stats: dict[str, dict[str, np.ndarray]], sizes: Mapping[str, int] | None = None) -> None:
    """Raise ValueError naming the feature unless each holds every stat `aggregate` reads, finite,
    a positive whole `count`, and the rest of one shape (of `sizes[feature]` values, where given):
    a count of 0 merged into NaN stats, a wrong shape was passed on unchanged."""
    for key, d in stats.items():
        missing = [s for s in STAT_KEYS if s not in d] if isinstance(d, Mapping) else list(STAT_KEYS)
        if missing:
            raise ValueError(f"{key!r} has no {missing[0]!r} stat")
        try:
            arrays = {s: np.asarray(d[s], np.float64) for s in STAT_KEYS}
        except (TypeError, ValueError):
            raise ValueError(f"{key!r} stats are not arrays of numbers") from None
        if not all(np.isfinite(a).all() for a in arrays.values()):
            raise ValueError(f"{key!r} stats hold NaN or inf")
        count = arrays.pop("count").ravel()
        if count.size != 1 or count[0] < 1 or count[0] % 1:
            raise ValueError(f"{key!r} count {count.tolist()}, expected one whole number ≥ 1")
        shapes = {a.shape for a in arrays.values()}
        if len(shapes) != 1:
            raise ValueError(f"{key!r} stats differ in shape ({sorted(shapes)})")
        size = int(np.prod(shapes.pop()))
        if sizes is not None and key in sizes and size != sizes[key]:
            raise ValueError(f"{key!r} stats hold {size} values per stat, the feature has {sizes[key]}")


def to_json(stats: dict[str, np.ndarray]) -> dict[str, list]:
    return {k: np.asarray(v).tolist() for k, v in stats.items()}


def from_json(raw: dict) -> dict[str, dict[str, np.ndarray]]:
    """Inverse of `{k: to_json(v)}`: feature → stat → float64 array (JSON keeps floats exact)."""
    return {k: {s: np.asarray(v, dtype=np.float64) for s, v in d.items()} for k, d in raw.items()}


def to_blob(stats: dict[str, dict[str, np.ndarray]]) -> bytes:
    """Per-episode stats as one safetensors blob (a ~160-column row of lists made each commit 3×
    slower; np.savez of ~150 small arrays cost 14 ms an episode, safetensors writes them 4× and
    reads them 30× faster, without pickle)."""
    arrays = {f"{key}/{stat}": np.ascontiguousarray(v) for key, s in stats.items() for stat, v in s.items()}
    # safetensors sorts its header; the order is kept so that stats read back merge into the same bytes
    return safetensors.numpy.save(arrays, metadata={_ORDER: json.dumps(list(arrays))})


def from_blob(blob: bytes) -> dict[str, dict[str, np.ndarray]]:
    """Inverse of `to_blob`; also reads the npz blobs datasets were written with before it.
    Unreadable bytes raise ValueError."""
    try:
        if blob[:4] == _ZIP_MAGIC:
            arrays, order = _read_npz(blob)
        else:
            arrays, order = safetensors.numpy.load(blob), _stored_order(blob)
        out: dict[str, dict[str, np.ndarray]] = {}
        for name in order:
            key, stat = name.rsplit("/", 1)
            out.setdefault(key, {})[stat] = arrays[name]
        return out
    except (safetensors.SafetensorError, zipfile.BadZipFile, OSError, EOFError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(str(exc) or type(exc).__name__) from None


_ZIP_MAGIC = b"PK\x03\x04"
_ORDER = "order"


def _stored_order(blob: bytes) -> list[str]:
    header_size = int.from_bytes(blob[:8], "little")  # safetensors: u64 header size, then the JSON header
    order = json.loads(blob[8 : 8 + header_size])["__metadata__"][_ORDER]
    return json.loads(order)


def _read_npz(blob: bytes) -> tuple[dict[str, np.ndarray], list[str]]:
    # What the archive's members inflate to, checked before inflating: bzip2 turns 500 bytes into
    # 500 MB. (A member cannot inflate past its declared size: zipfile stops there.)
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        safety.check_bytes(sum(i.file_size for i in archive.infolist()), "stats blob")
    with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}, list(npz.files)
