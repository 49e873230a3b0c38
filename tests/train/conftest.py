import pytest


@pytest.fixture(scope="session")
def tiny_lift(demo_dataset):
    """Three clean Lift demos in the nominal domain."""
    return demo_dataset("Lift", episodes=3, profile="nominal", human_like=False)


@pytest.fixture(scope="session")
def tiny_lift_other(demo_dataset):
    """Two human-like Lift demos from other seeds: a second, different source."""
    return demo_dataset("Lift", episodes=2, profile="nominal", human_like=True, seed=50)
