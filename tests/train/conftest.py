import pytest
from demoforge.augment.data.record import CollectConfig, collect


@pytest.fixture(scope="session")
def tiny_lift(tmp_path_factory):
    out = tmp_path_factory.mktemp("train") / "lift"
    collect(CollectConfig(task="Lift", episodes=3, profile="nominal", human_like=False), out)
    return out


@pytest.fixture(scope="session")
def tiny_lift_other(tmp_path_factory):
    out = tmp_path_factory.mktemp("train") / "lift_b"
    collect(CollectConfig(task="Lift", episodes=2, profile="nominal", human_like=True, seed=50), out)
    return out
