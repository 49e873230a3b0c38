"""Fingerprints of what the pipeline writes: a SHA-256 per dataset and per trained checkpoint for
every task, made with the benchmark's seeds through the public API only, so the same script runs
on any two versions of the code and a refactor can prove it changed no byte of what users get.

`python -m benchmarks fingerprint` prints one line per artefact; DEMOFORGE_BENCH_TASKS=Lift,Stack
restricts the tasks, DEMOFORGE_FINGERPRINT_OUT=FILE also writes the lines to FILE (diff two files).
It works in one fixed folder (DEMOFORGE_FINGERPRINT_DIR, default <tmp>/demoforge-fingerprint, emptied
first), because a generated dataset records its source's path: two runs must use the same paths.
Per task: 10 human-like demos in `target` (seed 0, as `demoforge run`), 40 generated in `randomized`
by the process backend (2 workers) and the batch backend (1 thread), and 200 steps of BC on real
+ synthetic. Vision: Lift's demos with both cameras and 40 steps of the vision policy. Timings and
host names are left out of the hashes (files that hold them are named in SKIP)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import demoforge

from .common import env_list

TASKS = ("Lift", "Stack", "PickPlace", "PegInsert")
# Written beside the data but holding run times or the machine's name: not part of what is generated.
SKIP = {"generation_log.jsonl", "summary.json", "timings.json", "loss.png", "progress.json"}
TIMING_KEYS = {"seconds", "elapsed_s", "duration_s", "wall_s", "demos_per_hour", "started", "finished", "host"}


def _strip(value):
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def tree_hash(root: Path) -> str:
    """SHA-256 over every file's relative path and bytes (JSON files without timing keys)."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.name in SKIP or path.suffix == ".lock":
            continue
        data = path.read_bytes()
        if path.suffix == ".json":
            try:
                data = json.dumps(_strip(json.loads(data)), sort_keys=True).encode()
            except ValueError:
                pass
        h.update(str(path.relative_to(root)).encode() + b"\0" + data + b"\0")
    return h.hexdigest()[:16]


def task_lines(task: str, tmp: Path) -> list[str]:
    real, lines = tmp / f"{task}_real", []
    demoforge.collect_demos(task, 10, real, profile="target", seed=0)
    lines.append(f"{task} real {tree_hash(real)}")
    for backend, extra in (("process", {"workers": 2}), ("batch", {"workers": 1, "threads": 1})):
        out = tmp / f"{task}_syn_{backend}"
        demoforge.generate_demos(real, out, num=40, seed=0, profile="randomized", backend=backend, **extra)
        lines.append(f"{task} synthetic/{backend} {tree_hash(out)}")
    run = tmp / f"{task}_bc"
    demoforge.train_policy(run, real=real, synthetic=tmp / f"{task}_syn_process", steps=200, seed=0)
    lines.append(f"{task} checkpoint/bc {tree_hash(run / 'checkpoints')}")
    return lines


def vision_lines(tmp: Path) -> list[str]:
    real = tmp / "Lift_cams"
    demoforge.collect_demos("Lift", 4, real, profile="target", cameras=("front", "wrist"), seed=0)
    run = tmp / "Lift_vision"
    demoforge.train_policy(run, synthetic=real, obs="vision", steps=40, batch_size=8, seed=0)
    return [f"Lift real/cameras {tree_hash(real)}", f"Lift checkpoint/vision {tree_hash(run / 'checkpoints')}"]


def main() -> None:
    tasks = env_list("DEMOFORGE_BENCH_TASKS", TASKS)
    lines: list[str] = []
    tmp = Path(os.environ.get("DEMOFORGE_FINGERPRINT_DIR") or Path(tempfile.gettempdir()) / "demoforge-fingerprint")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for task in tasks:
        lines += task_lines(task, tmp)
        print("\n".join(lines[-4:]), flush=True)
    lines += vision_lines(tmp)
    print("\n".join(lines[-2:]), flush=True)
    shutil.rmtree(tmp, ignore_errors=True)
    if out := os.environ.get("DEMOFORGE_FINGERPRINT_OUT"):
        Path(out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
