"""What `demoforge run` and `demoforge train` may delete: only what they wrote themselves.

- `check_run_out(out)`: a `demoforge run` output folder must be absent, empty, or one an earlier
  `demoforge run` created (it holds `run_config.yaml` or `stages.json`).
- `clear_unstarted_run(run)`: a training run folder killed before its first checkpoint holds only
  `train()`'s `config.json` (and maybe its log and a half-written checkpoint); those are removed so
  the run can start again. Anything else in the folder is refused, named, and left alone.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ..envs import ConfigError

RUN_MARKERS = ("run_config.yaml", "stages.json")
TRAIN_FILES = {"config.json", "loss.csv", "loss.png"}
TRAIN_CONFIG_KEYS = {"task", "train", "policy_config", "real", "synthetic"}
CHECKPOINT = Path("checkpoints") / "last.safetensors"


def check_run_out(out: Path) -> None:
    """Refuse an `--out` for `demoforge run` that holds files an earlier run did not create."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: is a file, expected a folder")
    if out.is_dir() and any(out.iterdir()) and not any((out / m).is_file() for m in RUN_MARKERS):
        raise ConfigError(
            f"--out {out}: not empty and not a folder `demoforge run` created (no {' or '.join(RUN_MARKERS)}); "
            "use a new or empty folder"
        )


def is_train_config(path: Path) -> bool:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and TRAIN_CONFIG_KEYS <= set(data)


def unstarted_run(run: Path) -> bool:
    """True when `run` holds a training that never saved a checkpoint (only `train()`'s files)."""
    if not run.is_dir() or (run / CHECKPOINT).is_file() or not any(run.iterdir()):
        return False
    try:
        _train_files(run)
    except ConfigError:
        return False
    return True


def _train_files(run: Path) -> list[Path]:
    found = []
    for entry in sorted(run.iterdir()):
        if entry.is_symlink():
            pass
        elif entry.name in TRAIN_FILES and entry.is_file():
            if entry.name != "config.json" or is_train_config(entry):
                found.append(entry)
                continue
        elif entry.name == "checkpoints" and entry.is_dir():
            inner = list(entry.iterdir())
            # only the temporary file `save_checkpoint` writes: a user's other `.tmp` stays
            if all(p.is_file() and not p.is_symlink() and p.name == CHECKPOINT.name + ".tmp" for p in inner):
                found.append(entry)
                continue
        raise ConfigError(
            f"run folder {run}: holds {entry.name}, which `demoforge train` did not write; refusing to delete it "
            "(move it away or use another folder)"
        )
    return found


def clear_unstarted_run(run: Path) -> None:
    """Remove what a training killed before its first checkpoint left in `run` (see module doc)."""
    if not run.exists():
        return
    if not run.is_dir():
        raise ConfigError(f"run folder {run}: is a file, expected a folder")
    if (run / CHECKPOINT).is_file():
        raise ConfigError(f"run folder {run}: holds a checkpoint; resume it instead of starting over")
    for entry in _train_files(run):
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
