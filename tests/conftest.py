import pytest
from hypothesis import settings

from simprive import run_experiment

# one profile for every property test: reproducible examples, no deadline (CI machines vary)
settings.register_profile("simprive", derandomize=True, deadline=None, max_examples=40)
settings.load_profile("simprive")


@pytest.fixture(scope="session")
def presets():
    """Each shipped preset, once, at its default grid."""
    return {name: run_experiment(name).summary for name in ("poll", "bounded_sum", "approval_vote")}
