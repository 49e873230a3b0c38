"""Worker processes are spawned, so a user's script that starts them at its top level (no
`if __name__ == "__main__":`) re-runs itself in every worker, and each dies starting. That must
be a one-line error saying so, never a hang or a BrokenProcessPool traceback. Calibration's
workers once blocked the parent forever: it wrote episodes larger than a pipe's buffer as start
arguments to a child that had already died."""

import subprocess
import sys

import pytest

CALLS = {
    "calibration": "from demoforge.augment.domain.calibrate import CalibrationConfig, calibrate\n"
    "calibrate({real!r}, 'Lift', CalibrationConfig(workers=2, max_segments=4))\n",
    "generation": "import demoforge\ndemoforge.generate_demos({real!r}, {out!r}, num=4, workers=2)\n",
}


@pytest.mark.parametrize("what", sorted(CALLS))
def test_a_script_without_a_main_guard_gets_one_line_not_a_hang(what, demo_dataset, tmp_path):
    script = tmp_path / "unguarded.py"
    script.write_text(CALLS[what].format(real=str(demo_dataset("Lift", 5)), out=str(tmp_path / "out")))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=240)
    assert done.returncode != 0
    last = done.stderr.splitlines()[-1]
    assert last.startswith(f"RuntimeError: {what} worker: its process ended") and "__main__" in last, last
