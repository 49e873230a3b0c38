import filecmp
from pathlib import Path

import pytest
from demoforge.augment.data.record import CollectConfig, collect


def _same_tree(a: Path, b: Path) -> None:
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b
    _, mismatch, errors = filecmp.cmpfiles(a, b, [str(f) for f in files_a], shallow=False)
    assert not mismatch and not errors, mismatch


@pytest.fixture
def same_tree():
    """Asserts two dataset folders hold the same files with the same bytes."""
    return _same_tree


@pytest.fixture(scope="session")
def lift_sources(tmp_path_factory):
    """Ten human-like Lift demos in the target profile: the built-in 'real' source."""
    out = tmp_path_factory.mktemp("sources") / "lift"
    collect(CollectConfig(task="Lift", episodes=10), out)
    return out


@pytest.fixture(scope="session")
def stack_sources(tmp_path_factory):
    out = tmp_path_factory.mktemp("sources") / "stack"
    collect(CollectConfig(task="Stack", episodes=6, human_like=False, profile="nominal"), out)
    return out
