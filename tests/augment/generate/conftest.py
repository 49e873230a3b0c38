import filecmp
from pathlib import Path

import pytest


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
def lift_sources(demo_dataset):
    """Ten human-like Lift demos in the target profile: the built-in 'real' source."""
    return demo_dataset("Lift", episodes=10)


@pytest.fixture(scope="session")
def stack_sources(demo_dataset):
    return demo_dataset("Stack", episodes=6, human_like=False, profile="nominal")
