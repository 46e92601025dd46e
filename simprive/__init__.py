"""simprive: privacy–utility experiments for MPC, differential privacy and their attacks.

``run`` is the Hydra-free core (a plain config dict in, :class:`Results` out);
``run_experiment`` composes a preset from ``experiments/`` and runs it.
"""

from simprive.results import Results
from simprive.runner import run, run_experiment
from simprive.validation import ConfigError
from simprive.version import __version__

__all__ = ["ConfigError", "Results", "__version__", "run", "run_experiment"]
