import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

# tests/hostile.py: helpers the hostile-input test modules import (importlib mode adds no path itself)
sys.path.insert(0, str(Path(__file__).parent))

# Headless rendering for every test, before anything imports mujoco.
os.environ.setdefault("MUJOCO_GL", "egl")


def _fingerprint(root: Path) -> str:
    """A hash of every file's relative path and bytes under `root`."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="session")
def demo_dataset(tmp_path_factory):
    """The one place tests get recorded demos from: `demo_dataset(task, episodes, ...)` returns the
    folder of a dataset collected once per session per distinct argument set (the arguments are
    CollectConfig's fields). The folder is shared: read it, never write into it. A test that
    changes its data asks for a private copy, `demo_dataset(..., copy_to=tmp_path)`, which is
    `tmp_path / <name>`. At the end of the session every shared dataset must still hold the
    bytes it was collected with, or the session fails (one test corrupting another's data)."""
    made: dict[str, Path] = {}
    fingerprints: dict[Path, str] = {}

    def make(
        task: str = "Lift",
        episodes: int = 3,
        profile: str = "target",
        cameras: tuple[str, ...] = (),
        seed: int = 0,
        human_like: bool = True,
        image_size: tuple[int, int] = (84, 84),
        *,
        copy_to: str | Path | None = None,
    ) -> Path:
        from demoforge.augment.data.record import CollectConfig, collect

        config = CollectConfig(
            task=task,
            episodes=episodes,
            profile=profile,
            human_like=human_like,
            cameras=tuple(cameras),
            image_size=tuple(image_size),
            seed=seed,
        )
        key = json.dumps({**config.identity(), "episodes": episodes}, sort_keys=True)
        if key not in made:
            out = tmp_path_factory.mktemp("demos") / Path(task).stem.lower()  # a task file: its stem
            collect(config, out)
            made[key], fingerprints[out] = out, _fingerprint(out)
        if copy_to is None:
            return made[key]
        copy = Path(copy_to) / made[key].name
        shutil.copytree(made[key], copy)
        return copy

    yield make
    changed = [str(path) for path, before in fingerprints.items() if _fingerprint(path) != before]
    assert not changed, f"a test wrote into a shared demo_dataset (use copy_to=): {changed}"


THEIR_TASK = '''"""their_task: a user's task packaged outside demoforge (a Lift with a 6 cm cube) and its expert."""

from demoforge.envs.experts import lift_phases
from demoforge.envs.tasks.lift import Lift, LiftConfig


def default_config() -> LiftConfig:
    return LiftConfig(cube_half_size=0.03)


class TheirLift(Lift):
    name = "TheirLift"
    description = "lift the big red cube"


def their_phases(env):
    return lift_phases(env)
'''

THEIR_PYPROJECT = """[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "their-task"
version = "0.1.0"

[project.entry-points."demoforge.tasks"]
TheirLift = "their_task:TheirLift"

[project.entry-points."demoforge.experts"]
TheirLift = "their_task:their_phases"
"""


@pytest.fixture
def their_task_package(tmp_path) -> Path:
    """A user's task package in a temp folder (outside the repo): `their_task.TheirLift` (a Lift
    with a 6 cm cube, `default_config()` beside it) and its expert `their_phases`, declared as
    entry points of distribution `their-task`. Returns the project folder (pyproject.toml)."""
    root = tmp_path / "their-task"
    (root / "their_task").mkdir(parents=True)
    (root / "their_task" / "__init__.py").write_text(THEIR_TASK)
    (root / "pyproject.toml").write_text(THEIR_PYPROJECT)
    return root


@pytest.fixture
def their_task(their_task_package, monkeypatch):
    """`their_task` importable in this process and in the processes it spawns (not installed:
    no entry points), and removed from the registries afterwards."""
    import gymnasium as gym
    from demoforge.envs import plugins

    monkeypatch.syspath_prepend(str(their_task_package))
    saved = {group: dict(entries) for group, entries in plugins._ADDED.items()}
    yield __import__("their_task")
    for group, entries in plugins._ADDED.items():
        entries.clear()
        entries.update(saved.get(group, {}))
    gym.registry.pop("demoforge/TheirLift-v0", None)
    sys.modules.pop("their_task", None)  # the next test's copy lives in another temp folder


# Small datasets the hostile-input tests (test_hardening.py, test_reliability.py) break.
@pytest.fixture(scope="module")
def demos(demo_dataset):
    return demo_dataset("Lift", 2, profile="nominal", human_like=False)


@pytest.fixture(scope="module")
def video_demos(demo_dataset):
    return demo_dataset("Lift", 1, profile="nominal", human_like=False, cameras=("front",), image_size=(32, 32))


@pytest.fixture
def copy(demos, tmp_path):
    dst = tmp_path / "copy"
    shutil.copytree(demos, dst)
    return dst
