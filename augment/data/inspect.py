"""`summarize`: what `demoforge info DIR` prints about a dataset."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from .dataset import DEFAULT_FEATURES, Dataset


def disk_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def summarize(root: str | Path) -> dict[str, Any]:
    """Episodes, frames, success rate, sources, idle fraction, per-feature shape and stats, bytes on disk."""
    ds = Dataset(root)
    metas = [ds.meta(i) for i in range(len(ds))]
    successes = [m["success"] for m in metas if "success" in m]
    idle = [m["idle_fraction"] for m in metas if isinstance(m.get("idle_fraction"), int | float)]
    stats = ds.stats
    features = []
    for key, f in ds.features.items():
        if key in DEFAULT_FEATURES:
            continue
        s = stats.get(key, {})
        mean = np.asarray(s.get("mean", [])).ravel()
        std = np.asarray(s.get("std", [])).ravel()
        features.append(
            {
                "name": key,
                "dtype": f["dtype"],
                "shape": list(f["shape"]),
                "mean": float(mean.mean()) if mean.size else None,
                "std": float(std.mean()) if std.size else None,
            }
        )
    return {
        "root": str(ds.root),
        "episodes": len(ds),
        "frames": ds.num_frames,
        "fps": ds.fps,
        "tasks": list(ds.tasks.values()),
        "success_rate": (sum(successes) / len(successes)) if successes else None,
        "sources": dict(Counter(m.get("source", "unknown") for m in metas)),
        # mean share of frames that make no progress (augment/idle.py)
        "idle_fraction": float(np.mean(idle)) if idle else None,
        "features": features,
        "bytes": disk_size(ds.root),
    }
