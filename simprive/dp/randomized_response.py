"""Local randomized response: the article's coin-flip version and k-ary generalized RR.

Each respondent randomises their own answer before it leaves their hands, so the
pollster never holds a true answer.  Two paths give the same law:

* per individual: ``randomise(values)`` on a ``(T, n)`` array of answers, needed by
  attacks that look at single reports;
* sufficient statistic: ``randomise_counts(counts)`` draws the ``(T, k)`` table of
  reported counts directly (binomial / multinomial), in O(T·k) instead of O(T·n).
"""

from __future__ import annotations

import math

import numpy as np

from simprive.dp.base import whole_numbers
from simprive.validation import check_epsilon, check_int

__all__ = ["CoinFlipResponse", "RandomizedResponse"]


class RandomizedResponse:
    r"""Generalized (k-ary) randomized response, ε-LDP.

    A respondent with answer v reports v with probability
    :math:`p = e^\varepsilon/(e^\varepsilon+k-1)` and each other answer with
    :math:`q = 1/(e^\varepsilon+k-1)`.  For k = 2 this is binary ε-RR with
    :math:`\pi = e^\varepsilon/(1+e^\varepsilon)`.  The unbiased frequency estimate is
    :math:`\hat f_j = (N_j/n - q)/(p - q)`, with, given the true frequency f,

    .. math:: Var(\hat f_j) = \frac{q(1-q)}{n(p-q)^2} + \frac{f(1-p-q)}{n(p-q)}

    Reference: Wang, Blocki, Li, Jha (2017), "Locally differentially private protocols
    for frequency estimation".
    """

    discrete = True  # answers

    def play(self, world: int, size: int, rng) -> np.ndarray:
        """An audit's worlds: the target answers 0 (D) or 1 (D′)."""
        return self.randomise(np.full(size, world), rng)

    def game_epsilon(self) -> float:
        return self.epsilon

    def __init__(self, *, epsilon: float, k: int = 2):
        self.epsilon = check_epsilon(epsilon)
        self.k = check_int("mechanism.k", k, minimum=2)
        e = math.exp(self.epsilon)
        self.p = e / (e + self.k - 1)
        self.q = 1 / (e + self.k - 1)

    def transition(self) -> np.ndarray:
        """``P[v, r]``: probability of reporting r when the true answer is v."""
        P = np.full((self.k, self.k), self.q)
        np.fill_diagonal(P, self.p)
        return P

    def _check_answers(self, values) -> np.ndarray:
        values = np.asarray(values)
        if not whole_numbers(values) or (values.size and (values.min() < 0 or values.max() >= self.k)):
            raise ValueError(f"answers must be integers in [0, {self.k})")
        return values

    def randomise(self, values, rng: np.random.Generator) -> np.ndarray:
        """Per-individual reports for integer answers in ``[0, k)``, any shape."""
        values = self._check_answers(values)
        keep = rng.random(values.shape) < self.p - self.q  # report the truth outright
        # otherwise report uniformly among all k answers (the truth included): this gives
        # P(v) = (p - q) + q = p and P(other) = q exactly.
        other = rng.integers(0, self.k, size=values.shape)
        return np.where(keep, values, other)

    def randomise_counts(self, counts, rng: np.random.Generator) -> np.ndarray:
        """Reported counts ``(T, k)`` from true counts ``(T, k)``, equal in law to
        counting :meth:`randomise`'s output."""
        counts = np.asarray(counts, dtype=np.int64)
        P = self.transition()
        out = np.zeros(counts.shape, dtype=np.int64)
        for v in range(self.k):  # k is small: one vectorised draw per true answer
            out += rng.multinomial(counts[..., v], P[v])
        return out

    def estimate(self, reported_counts, n) -> np.ndarray:
        """Unbiased frequency estimates from reported counts ``(T, k)``."""
        return (np.asarray(reported_counts) / n - self.q) / (self.p - self.q)

    def variance(self, f, n) -> float:
        """Var of the estimate of a category with true frequency ``f`` among ``n``."""
        p, q = self.p, self.q
        return q * (1 - q) / (n * (p - q) ** 2) + f * (1 - p - q) / (n * (p - q))


class CoinFlipResponse(RandomizedResponse):
    r"""The article's randomized response for a bit: flip a fair coin; tails → answer
    truthfully; heads → flip again and answer 1 on heads, 0 on tails.

    :math:`P(1|1) = 3/4`, :math:`P(1|0) = 1/4`, so it is binary ε-RR with ε = ln 3.
    :math:`E[N/n] = p/2 + 1/4`; the estimator :math:`\hat p = 2N/n - 1/2` is unbiased
    with :math:`Var(\hat p) = 3/(4n)` given the answers.
    """

    def __init__(self):
        super().__init__(epsilon=math.log(3), k=2)

    def randomise(self, values, rng):
        values = self._check_answers(values)
        first_tails = rng.random(values.shape) < 0.5
        second_heads = rng.random(values.shape) < 0.5
        return np.where(first_tails, values, second_heads.astype(values.dtype))

    def estimate(self, reported_counts, n):
        # 2N/n - 1/2 for the "1" column; the same formula as the parent's (N/n - 1/4)/(1/2)
        return 2 * np.asarray(reported_counts) / n - 0.5
