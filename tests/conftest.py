import pytest

from simprive import run_experiment


@pytest.fixture(scope="session")
def presets():
    """Each shipped preset, once, at its default grid."""
    return {name: run_experiment(name).summary for name in ("poll", "bounded_sum", "approval_vote")}
