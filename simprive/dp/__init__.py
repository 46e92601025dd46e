"""Differential-privacy mechanisms, vectorised over trials.

Every mechanism takes its parameters once, keyword-only, validates them, and then
works on whole ``(T, ...)`` arrays with an explicit ``numpy.random.Generator``.
Sampling uses numpy's generators: fast and reproducible, but *not* a secure source
of randomness for deploying a release, and floating-point Laplace noise leaks through its
low bits (see ``simprive.attacks.floating_point``)."""

from simprive.dp.accountant import (
    Accountant,
    BudgetExceededError,
    advanced_composition,
    basic_composition,
    group_privacy,
)
from simprive.dp.base import AdditiveNoise
from simprive.dp.clamping import NEIGHBOURS, clamp, clamped_sum, sensitivity
from simprive.dp.exponential import Exponential, gumbel_max_law
from simprive.dp.gaussian import Gaussian
from simprive.dp.geometric import Geometric
from simprive.dp.laplace import Laplace
from simprive.dp.randomized_response import CoinFlipResponse, RandomizedResponse

__all__ = [
    "Accountant",
    "AdditiveNoise",
    "BudgetExceededError",
    "CoinFlipResponse",
    "Exponential",
    "Gaussian",
    "Geometric",
    "Laplace",
    "NEIGHBOURS",
    "RandomizedResponse",
    "advanced_composition",
    "basic_composition",
    "clamp",
    "clamped_sum",
    "group_privacy",
    "gumbel_max_law",
    "sensitivity",
]
