import pytest
from demoforge.augment.record import CollectConfig, collect


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
