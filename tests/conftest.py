import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

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
            out = tmp_path_factory.mktemp("demos") / task.lower()
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
