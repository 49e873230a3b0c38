"""Every example runs in its reduced size (DEMOFORGE_EXAMPLE_QUICK=1, documented in each one) and
writes what it says it writes, so the examples never rot: each has a check below that reads its
files and its printed numbers."""

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pyarrow.parquet as pq
import pytest
from demoforge import open_dataset
from matplotlib.image import imread

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))


def _lines(stdout: str, pattern: str) -> list[re.Match]:
    return [m for line in stdout.splitlines() if (m := re.fullmatch(pattern, line.strip()))]


def check_import_generate_export(out: Path, stdout: str) -> None:
    real, num = 3, 4  # the quick sizes
    with h5py.File(out / "my_real_demos.hdf5") as f:  # the stand-in "real" robomimic file
        assert sorted(f["data"]) == [f"demo_{i}" for i in range(real)]
    (imported,) = _lines(stdout, r"imported (\d+) episodes; not imported: (.+)")
    assert int(imported[1]) == real == len(open_dataset(out / "imported"))
    (generated,) = _lines(stdout, r"generated (\d+) demos from (\d+) attempts \((\d+)% kept\)")
    episodes, attempts, kept = map(int, generated.groups())
    assert episodes == num and attempts >= num and kept == round(100 * num / attempts)
    synthetic = open_dataset(out / "synthetic")
    assert len(synthetic) == num and {synthetic.meta(i)["task"] for i in range(num)} == {"Stack"}
    gr00t = out / "synthetic_gr00t"
    info = json.loads((gr00t / "meta/info.json").read_text())
    assert info["total_episodes"] == num and "state" in json.loads((gr00t / "meta/modality.json").read_text())
    listed = [json.loads(x) for x in (gr00t / "meta/episodes.jsonl").read_text().splitlines()]
    assert [ep["length"] for ep in listed] == [
        len(synthetic.episode(i, videos=False).data["action"]) for i in range(num)
    ]
    first = pq.read_table(gr00t / info["data_path"].format(episode_chunk=0, episode_index=0))
    assert first.num_rows == listed[0]["length"]
    assert np.array_equal(
        np.stack(first.column("action").to_pylist()), synthetic.episode(0, videos=False).data["action"]
    )


def check_ratio_sweep(out: Path, stdout: str) -> None:
    ratios, episodes, steps = [0.0, 0.5, 1.0], 2, 100  # the quick sizes
    assert len(open_dataset(out / "sweep_real")) == 3 and len(open_dataset(out / "sweep_synthetic")) == 6
    printed = _lines(stdout, r"ratio (\d\.\d\d): success (\d+)%")
    assert [float(m[1]) for m in printed] == ratios
    assert all(int(m[2]) in {round(100 * k / episodes) for k in range(episodes + 1)} for m in printed)
    for ratio in ratios:
        run = out / f"sweep_run_{ratio}"
        config = json.loads((run / "config.json").read_text())["train"]
        assert config["ratio"] == ratio and config["steps"] == steps
        assert (run / "checkpoints/last.safetensors").stat().st_size > 0
    assert _lines(stdout, r"wrote ratio_sweep.png")
    image = imread(out / "ratio_sweep.png")  # a real PNG with something drawn on it
    assert image.ndim == 3 and min(image.shape[:2]) > 100 and image.std() > 0


def check_train_bc_loop(out: Path, stdout: str) -> None:
    demos, steps, episodes = 3, 100, 2  # the quick sizes
    assert len(open_dataset(out / "demos_lift")) == demos
    losses = _lines(stdout, r"step (\d+): loss (\S+)")
    assert [int(m[1]) for m in losses] == list(range(100, steps + 1, 100))
    assert all(math.isfinite(float(m[2])) and float(m[2]) >= 0 for m in losses)
    (success,) = _lines(stdout, r"success (\d+)/(\d+)")
    assert int(success[2]) == episodes and 0 <= int(success[1]) <= episodes


CHECKS = {
    "import_generate_export": check_import_generate_export,
    "ratio_sweep": check_ratio_sweep,
    "train_bc_loop": check_train_bc_loop,
}


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_and_writes_what_it_says(script, tmp_path):
    env = {**os.environ, "DEMOFORGE_EXAMPLE_QUICK": "1", "MUJOCO_GL": "egl"}
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    CHECKS[script.stem](tmp_path, proc.stdout)


def test_every_example_has_a_check():
    assert {p.stem for p in EXAMPLES} == set(CHECKS)
