"""A user's task package, pip-installed: every process finds its task through entry points alone.

The package (`their_task`, built by the `their_task_package` fixture in a temp folder outside the repo)
is installed with `pip install --no-deps --no-build-isolation -e` into a throwaway venv made with
`--system-site-packages` (nothing shared changes); demoforge goes into it from this checkout the same
way, so the venv imports the code under test rather than another installed copy."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _throwaway_venv(folder: Path, *editable: Path) -> Path:
    """A venv seeing the base interpreter's packages, with `editable` installed into it; its python."""
    base = Path(getattr(sys, "_base_executable", sys.executable))
    subprocess.run([str(base), "-m", "venv", "--system-site-packages", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]
    for project in editable:
        install += ["-e", str(project)]
    subprocess.run(install, check=True, capture_output=True, text=True)
    return python


@pytest.mark.slow
def test_a_pip_installed_task_package_runs_end_to_end_and_is_found_by_gymnasium(their_task_package, tmp_path):
    python = _throwaway_venv(tmp_path / "venv", ROOT, their_task_package)
    env = {**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
    env.pop("PYTHONPATH", None)
    found = subprocess.run(
        [
            str(python),
            "-c",
            "import demoforge, gymnasium, their_task; e = gymnasium.make('demoforge/TheirLift-v0');"
            "print(demoforge.__file__, type(e.unwrapped.task).__module__, e.unwrapped.task.config.cube_half_size)",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert found.returncode == 0, found.stderr
    where, module, size = found.stdout.split()
    assert Path(where).is_relative_to(ROOT) and module == "their_task" and float(size) == 0.03

    listed = subprocess.run(
        [str(python), "-m", "demoforge.train.cli", "info", "--tasks"], capture_output=True, text=True, env=env
    )
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[:5] == ["Lift", "Stack", "PickPlace", "PegInsert", "TheirLift"]
    assert "TheirLift: entry point their_task:TheirLift (distribution their-task 0.1.0)" in listed.stdout

    out = tmp_path / "run"
    run = subprocess.run(
        [
            str(tmp_path / "venv" / "bin" / "demoforge"),
            "run",
            "--quick",
            "--task",
            "TheirLift",
            "--workers",
            "2",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads((out / "report" / "results.json").read_text())
    assert set(results["arms"]) == {"real_only", "synthetic_only", "real_synthetic"}
    assert results["task"] == "TheirLift"
