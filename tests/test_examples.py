"""Every example runs, in its reduced size, so the examples never rot."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(script, tmp_path):
    env = {**os.environ, "DEMOFORGE_EXAMPLE_QUICK": "1", "MUJOCO_GL": "egl"}
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip(), "an example should tell its user what it did"


def test_there_are_three_examples():
    assert {p.stem for p in EXAMPLES} >= {"train_bc_loop", "import_generate_export", "ratio_sweep"}
