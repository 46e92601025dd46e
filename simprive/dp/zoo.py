"""The published suite of mechanisms that privacy auditors are measured on, correct and broken
(``mechanism=zoo mechanism.name=NAME``), as DP-Sniper (Bichsel et al., S&P 2021) and StatDP
(Ding et al., CCS 2018) run them: the same algorithms, parameters and input pairs.

Every mechanism here is what any audited mechanism is (README, "Extending"): called on a batch
of datasets, ``mechanism(data, rng)`` with ``data`` of shape (T, n), it returns T outputs — a
number, an index, a vector or a bit vector per row — drawn at once for the whole batch.  It
says what it claims (``claimed(epsilon)``), whether its outputs are discrete, the pair of
neighbouring inputs the literature audits it on (``PAIR``) and, where one is known, the exact
ε between two inputs (``exact``: a closed form, or an exact computation on a fine grid) and the
exact log-likelihood ratio of an output (``log_ratio``), which is the optimal test.

``SNIPER`` holds DP-Sniper's published lower bounds (``eval_sp2021/reference-results/
dd_search_reg_data.log``, ``eps_lcb``: logistic regression, 90% confidence), for claimed ε = 0.1.

References: Ding et al. 2018 (report-noisy-max 1–4, noisy histograms 1–2); Lyu, Su & Li, VLDB
2017 (sparse vector 1–6); Wang et al., PLDI 2019 (PrefixSum, NumericalSVT); Balcer & Vadhan
2018 (truncated geometric); Erlingsson, Pihur & Korolova, CCS 2014 (RAPPOR).
"""

from __future__ import annotations

import itertools
import math
from typing import ClassVar

import numpy as np
from scipy import integrate, special, stats

__all__ = ["SNIPER", "SUITE", "SuiteMechanism"]

Pair = tuple[tuple[float, ...], tuple[float, ...]]  # the neighbouring datasets D and D′

# DP-Sniper's certified ε (eps_lcb) for each mechanism, claimed ε = 0.1 where it takes one
SNIPER: dict[str, float] = {
    "Laplace": 0.0968, "TruncatedGeometric": 0.1156, "NoisyHist1": 0.0978, "NoisyHist2": 4.6020,
    "ReportNoisyMax1": 0.0923, "ReportNoisyMax2": 0.0975, "ReportNoisyMax3": 0.2478, "ReportNoisyMax4": 0.3463,
    "SparseVectorTechnique1": 0.0858, "SparseVectorTechnique2": 0.0859, "SparseVectorTechnique3": 0.1716,
    "SparseVectorTechnique4": 0.1687, "SparseVectorTechnique5": 1.7612, "SparseVectorTechnique6": 0.2720,
    "Rappor": 0.2930, "OneTimeRappor": 0.5978, "LaplaceParallel": 0.0350, "SVT34Parallel": 0.2610,
    "PrefixSum": 0.5040, "NumericalSVT": 0.0343,
}


def laplace(rng: np.random.Generator, scale: float, shape) -> np.ndarray:
    """Laplace(scale) noise as the difference of two standard exponentials: the same law as
    ``rng.laplace``, drawn by numpy's ziggurat at a third of its time."""
    return scale * (rng.standard_exponential(shape) - rng.standard_exponential(shape))


def _laplace_ratio(y, d0, d1, b):
    """log f(y | d1) − log f(y | d0) for y = d + Lap(b) per coordinate, summed over them."""
    return ((np.abs(y - d0) - np.abs(y - d1)) / b).sum(axis=-1)


class SuiteMechanism:
    """What the suite's mechanisms share: the claimed ε they are built with, their pair and
    the domain of their inputs."""

    PAIR: ClassVar[Pair]
    DOMAIN: ClassVar[tuple[float, float]] = (-10.0, 10.0)  # DP-Sniper's input range
    discrete: ClassVar[bool] = False

    def __init__(self, epsilon: float = 0.1):
        self.epsilon = float(epsilon)

    def claimed(self) -> float:
        return self.epsilon

    def __call__(self, data: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError


# -- noisy histograms, sums and parallel Laplace: an invertible map of x + Laplace noise ---------
class Laplace(SuiteMechanism):
    """x + Lap(1/ε) on one number (the correct baseline)."""

    PAIR: ClassVar[Pair] = ((1.0,), (2.0,))

    @property
    def scale(self) -> float:
        return 1 / self.epsilon

    def __call__(self, data, rng):
        return data[:, 0] + laplace(rng, self.scale, len(data))

    def exact(self, d0, d1) -> float:
        return float(np.abs(np.subtract(d1, d0)).sum() / self.scale)

    def log_ratio(self, y, d0, d1):
        return _laplace_ratio(np.asarray(y)[:, None], d0, d1, self.scale)


class NoisyHist1(Laplace):
    """A histogram with Lap(1/ε) on every bin (correct)."""

    PAIR: ClassVar[Pair] = ((0.0, 1.0, 1.0, 1.0, 1.0), (1.0, 1.0, 1.0, 1.0, 1.0))
    DOMAIN = (0.0, 10.0)

    def __call__(self, data, rng):
        return data + laplace(rng, self.scale, data.shape)

    def log_ratio(self, y, d0, d1):
        return _laplace_ratio(y, d0, d1, self.scale)


class NoisyHist2(NoisyHist1):
    """A histogram with Lap(ε) on every bin — the scale inverted: ε/Δ = 1/ε² too little noise."""

    @property
    def scale(self) -> float:
        return self.epsilon


class PrefixSum(NoisyHist1):
    """Every prefix sum of x + Lap(1/ε): one release per prefix, each moving by the change in
    every entry before it; with all entries moving by 1, it loses Σ|Δ|·ε."""

    PAIR: ClassVar[Pair] = ((1.0,) * 10, (0.0,) * 10)
    DOMAIN = (-10.0, 10.0)

    def __call__(self, data, rng):
        return np.cumsum(data + laplace(rng, self.scale, data.shape), axis=1)

    def log_ratio(self, y, d0, d1):
        return _laplace_ratio(np.diff(y, axis=1, prepend=0.0), d0, d1, self.scale)


class LaplaceParallel(Laplace):
    """20 independent Laplace releases of one number at ε/20 each (correct: they compose to ε)."""

    PAIR: ClassVar[Pair] = ((1.0,), (0.0,))
    copies = 20

    @property
    def scale(self) -> float:
        return self.copies / self.epsilon

    def __call__(self, data, rng):
        return data[:, :1] + laplace(rng, self.scale, (len(data), self.copies))

    def exact(self, d0, d1) -> float:
        return self.copies * super().exact(d0, d1)

    def log_ratio(self, y, d0, d1):
        return _laplace_ratio(y, d0[0], d1[0], self.scale)


# -- report-noisy-max: the index (correct) or the value (broken) of the noisiest score ----------
class ReportNoisyMax1(SuiteMechanism):
    """argmax of scores + Lap(2/ε) (correct)."""

    PAIR: ClassVar[Pair] = ((1.0,) * 5, (0.0,) + (2.0,) * 4)
    discrete = True
    noise = "laplace"
    release_value = False

    @property
    def law(self):
        return stats.laplace(scale=2 / self.epsilon) if self.noise == "laplace" else stats.expon(scale=2 / self.epsilon)

    def __call__(self, data, rng):
        scale = 2 / self.epsilon
        noise = laplace(rng, scale, data.shape) if self.noise == "laplace" else rng.exponential(scale, data.shape)
        noisy = data + noise
        return noisy.max(axis=1) if self.release_value else noisy.argmax(axis=1)

    def _index_pmf(self, d) -> np.ndarray:
        """P(argmax = i) = ∫ f(x − d_i) Π_{j≠i} F(x − d_j) dx, by adaptive quadrature (once
        per dataset)."""
        key = tuple(np.asarray(d, float))
        cache = self.__dict__.setdefault("_pmfs", {})
        if key not in cache:
            cache[key] = self._integrate_pmf(np.array(key))
        return cache[key]

    def _integrate_pmf(self, d: np.ndarray) -> np.ndarray:
        law = self.law
        lo, hi = d.min() + law.ppf(1e-15), d.max() + law.ppf(1 - 1e-15)

        def term(x, i):
            return law.pdf(x - d[i]) * np.prod(law.cdf(x - np.delete(d, i)))

        return np.array([integrate.quad(term, lo, hi, args=(i,), points=sorted(set(d)), limit=500,
                                        epsabs=1e-14, epsrel=1e-10)[0] for i in range(len(d))])

    def _value_logpdf(self, v, d) -> np.ndarray:
        """log density of max_i (d_i + noise_i) at v: log Σ_i f(v − d_i) Π_{j≠i} F(v − d_j)."""
        law = self.law
        x = v[:, None] - np.asarray(d, float)[None, :]
        with np.errstate(divide="ignore"):
            logcdf, logpdf = law.logcdf(x), law.logpdf(x)
        total = logcdf.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore"):
            terms = np.where(np.isfinite(logpdf), logpdf + total - logcdf, -np.inf)
        return special.logsumexp(terms, axis=1)

    def exact(self, d0, d1) -> float:
        if not self.release_value:
            p0, p1 = self._index_pmf(d0), self._index_pmf(d1)
            return float(np.abs(np.log(p1 / p0)).max())
        scale = 2 / self.epsilon
        d = np.concatenate([d0, d1])
        v = np.linspace(d.min() - 80 * scale, d.max() + 80 * scale, 800_001)
        a, b = self._value_logpdf(v, d0), self._value_logpdf(v, d1)
        if np.any(np.isfinite(a) != np.isfinite(b)):
            return math.inf  # a value one input can release and the other cannot
        ok = np.isfinite(a)
        return float(np.abs(a[ok] - b[ok]).max())

    def log_ratio(self, y, d0, d1):
        if self.release_value:
            return self._value_logpdf(y, d1) - self._value_logpdf(y, d0)
        p0, p1 = self._index_pmf(d0), self._index_pmf(d1)
        return np.log(p1 / p0)[np.asarray(y, int)]


class ReportNoisyMax2(ReportNoisyMax1):
    """argmax of scores + Exp(2/ε) (correct)."""

    noise = "exponential"


class ReportNoisyMax3(ReportNoisyMax1):
    """The noisy maximum itself, scores + Lap(2/ε) (broken: not ε-DP)."""

    PAIR: ClassVar[Pair] = ((0.0,) * 5, (1.0,) * 5)
    discrete = False
    release_value = True


class ReportNoisyMax4(ReportNoisyMax3):
    """The noisy maximum itself, scores + Exp(2/ε) (broken: some values one input never gives)."""

    PAIR: ClassVar[Pair] = ((1.0,) * 5, (2.0,) * 5)
    noise = "exponential"


# -- the sparse vector technique and its variants (Lyu, Su & Li 2017, Alg. 1–6) ----------------
ABORTED, BELOW, ABOVE = -1, 0, 1
NUMERIC_BELOW, NUMERIC_ABORTED = -1000.0, -2000.0  # Alg. 3's markers (DP-Sniper's encoding)


class SparseVectorTechnique1(SuiteMechanism):
    """Alg. 1: threshold t + Lap(2/ε), each query + Lap(4c/ε); answers above/below until c
    answers above, then aborts (correct).  Outputs 1 above, 0 below, −1 after aborting."""

    PAIR: ClassVar[Pair] = ((0.0,) * 5 + (1.0,) * 5, (1.0,) * 5 + (0.0,) * 5)
    discrete = True
    eps1_share = 0.5  # ε1 = share·ε goes to the threshold, the rest to the queries

    def __init__(self, epsilon: float = 0.1, c: int = 1, t: float = 0.5):
        super().__init__(epsilon)
        self.c, self.t = int(c), float(t)

    @property
    def eps1(self) -> float:
        return self.eps1_share * self.epsilon

    @property
    def eps2(self) -> float:
        return self.epsilon - self.eps1

    @property
    def threshold_scale(self) -> float:
        return 1 / self.eps1

    @property
    def query_scale(self) -> float | None:
        return 2 * self.c / self.eps2

    def _above(self, data, rng):
        rho = laplace(rng, self.threshold_scale, (len(data), 1))
        noisy = data if self.query_scale is None else data + laplace(rng, self.query_scale, data.shape)
        return noisy, noisy >= rho + self.t

    def _abort(self, above):
        """Each answer after the c-th answer above is −1."""
        seen, out = np.zeros(len(above), np.int32), np.empty(above.shape, bool)
        for i in range(above.shape[1]):  # a loop over queries, each vectorised over the batch
            np.greater_equal(seen, self.c, out=out[:, i])
            seen += above[:, i]
        return out

    def __call__(self, data, rng):
        _, above = self._above(data, rng)
        return np.where(self._abort(above), ABORTED, above.astype(np.int64))

    # exact laws on a fine grid of the threshold's noise ρ
    def _grid(self, d0, d1, points: int = 240_001):
        b = self.threshold_scale
        r = np.linspace(-60 * b, 60 * b, points) + min(min(d0), min(d1)) - self.t
        return r, stats.laplace(scale=b).pdf(r)

    def _p_above(self, r, d):
        """P(query i answers above | ρ = r) and P(below), one column per query, each computed
        directly (1 − P(above) loses every digit in the tails)."""
        x = self.t + r[:, None] - np.asarray(d, float)[None, :]
        if self.query_scale is None:
            return (x <= 0).astype(float), (x > 0).astype(float)
        law = stats.laplace(scale=self.query_scale)
        return law.sf(x), law.cdf(x)

    def _below_before(self, r, d):
        """P(above) per query and P(every query before it below), given ρ = r."""
        p, q = self._p_above(r, d)
        return p, np.cumprod(np.hstack([np.ones((len(r), 1)), q]), axis=1)

    def _first_above_pmf(self, d, r, w):
        """c = 1: P(the first answer above is query i), i = 0..k−1, and P(none)."""
        p, below_before = self._below_before(r, d)
        outcome = np.hstack([below_before[:, :-1] * p, below_before[:, -1:]])
        return integrate.trapezoid(outcome * w[:, None], r, axis=0)

    def exact(self, d0, d1) -> float | None:
        if self.c != 1:
            return None
        r, w = self._grid(d0, d1)
        p0, p1 = self._first_above_pmf(d0, r, w), self._first_above_pmf(d1, r, w)
        return float(np.abs(np.log(p1 / p0)).max())


class SparseVectorTechnique2(SparseVectorTechnique1):
    """Alg. 2: threshold + Lap(2c/ε), redrawn after every answer above (correct)."""

    @property
    def threshold_scale(self) -> float:
        return self.c / self.eps1

    def __init__(self, epsilon: float = 0.1, c: int = 1, t: float = 1.0):
        super().__init__(epsilon, c, t)

    def __call__(self, data, rng):
        T, k = data.shape
        noisy = data + laplace(rng, self.query_scale, data.shape)
        rho = laplace(rng, self.threshold_scale, T)
        out = np.empty((T, k), np.int64)
        count = np.zeros(T, np.int64)
        for i in range(k):  # a loop over queries, each vectorised over the batch
            above = noisy[:, i] >= rho + self.t
            out[:, i] = np.where(count >= self.c, ABORTED, above)
            count += above
            rho = np.where(above, laplace(rng, self.threshold_scale, T), rho)
        return out


class SparseVectorTechnique3(SparseVectorTechnique1):
    """Alg. 3: releases the noisy answer of each query above (broken: a numeric answer costs
    privacy the algorithm does not count).  −1000 below, −2000 after aborting."""

    PAIR: ClassVar[Pair] = ((1.0,) * 10, (2.0,) * 5 + (0.0,) * 5)
    discrete = False

    def __init__(self, epsilon: float = 0.1, c: int = 1, t: float = 1.0):
        super().__init__(epsilon, c, t)

    @property
    def query_scale(self) -> float:
        return self.c / self.eps2

    def __call__(self, data, rng):
        noisy, above = self._above(data, rng)
        out = np.where(above, noisy, NUMERIC_BELOW)
        return np.where(self._abort(above), NUMERIC_ABORTED, out)

    def exact(self, d0, d1) -> float | None:
        """c = 1: the law of (first index above, its noisy value), or none above; the density
        of (i, v) is f_ν(v − d_i) · ∫_{ρ ≤ v − t} f_ρ(ρ) Π_{j<i} P(j below | ρ) dρ."""
        if self.c != 1:
            return None
        r, w = self._grid(d0, d1)
        nu = stats.laplace(scale=self.query_scale)
        worst = 0.0
        laws = []
        for d in (d0, d1):
            _, below_before = self._below_before(r, d)
            # G_i(v): the integral up to ρ = v − t, on the grid itself (v = r + t)
            g = integrate.cumulative_trapezoid(below_before[:, :-1] * w[:, None], r, axis=0, initial=0.0)
            none = integrate.trapezoid(below_before[:, -1] * w, r)
            laws.append((np.asarray(d, float), g, none))
        (a0, g0, n0), (a1, g1, n1) = laws
        v = r + self.t
        for i in range(len(a0)):
            ok = (g0[:, i] > 1e-250) & (g1[:, i] > 1e-250)
            ratio = nu.logpdf(v[ok] - a1[i]) - nu.logpdf(v[ok] - a0[i]) + np.log(g1[ok, i] / g0[ok, i])
            worst = max(worst, float(np.abs(ratio).max()))
        return max(worst, abs(math.log(n1 / n0)))


class SparseVectorTechnique4(SparseVectorTechnique1):
    """Alg. 4: ε/4 for the threshold, queries + Lap(4/(3ε)) (broken: ((1 + 6c)/4)·ε-DP)."""

    PAIR: ClassVar[Pair] = ((1.0,) * 10, (2.0,) * 5 + (0.0,) * 5)
    eps1_share = 0.25

    def __init__(self, epsilon: float = 0.1, c: int = 1, t: float = 1.0):
        super().__init__(epsilon, c, t)

    @property
    def query_scale(self) -> float:
        return 1 / self.eps2


class SparseVectorTechnique5(SparseVectorTechnique1):
    """Alg. 5: no noise on the queries, never aborts (broken: ∞-DP)."""

    PAIR: ClassVar[Pair] = ((2.0,) * 5 + (0.0,) * 5, (1.0,) * 10)

    def __init__(self, epsilon: float = 0.1, c: int = 1, t: float = 1.0):
        super().__init__(epsilon, c, t)

    @property
    def query_scale(self) -> None:
        return None

    def __call__(self, data, rng):
        return self._above(data, rng)[1].astype(np.int64)

    def exact(self, d0, d1) -> float:
        """The answers are a function of ρ alone: each pattern's chance is the Laplace mass of
        the interval of ρ that gives it."""
        law = stats.laplace(scale=self.threshold_scale)
        cuts = np.unique(np.concatenate([np.asarray(d0, float), np.asarray(d1, float)]) - self.t)
        edges = np.concatenate([[-np.inf], cuts, [np.inf]])
        mids = np.concatenate([[cuts[0] - 1], (cuts[:-1] + cuts[1:]) / 2, [cuts[-1] + 1]])
        mass = np.diff(law.cdf(edges))
        laws = []
        for d in (d0, d1):
            pmf: dict = {}
            for m, p in zip(mids, mass, strict=True):
                key = tuple(np.asarray(d) >= m + self.t)
                pmf[key] = pmf.get(key, 0.0) + p
            laws.append(pmf)
        if set(laws[0]) != set(laws[1]):
            return math.inf
        return float(max(abs(math.log(laws[1][k] / laws[0][k])) for k in laws[0]))


class SparseVectorTechnique6(SparseVectorTechnique1):
    """Alg. 6: queries + Lap(2/ε), never aborts (broken: ∞-DP)."""

    PAIR: ClassVar[Pair] = ((1.0,) * 5 + (0.0,) * 5, (0.0,) * 5 + (1.0,) * 5)

    def __init__(self, epsilon: float = 0.1, c: int = 1, t: float = 1.0):
        super().__init__(epsilon, c, t)

    @property
    def query_scale(self) -> float:
        return 1 / self.eps2

    def __call__(self, data, rng):
        return self._above(data, rng)[1].astype(np.int64)

    def exact(self, d0, d1) -> float:
        """Every pattern of answers, its chance integrated over ρ on a fine grid."""
        r, w = self._grid(d0, d1, points=20_001)
        patterns = np.array(list(itertools.product((0, 1), repeat=len(d0))), float)
        pmf = []
        for d in (d0, d1):  # log P(pattern | ρ) for every pattern at once: a matrix product
            above, below = self._p_above(r, d)
            log_pattern = patterns @ (np.log(above) - np.log(below)).T + np.log(below).sum(axis=1)
            pmf.append(integrate.trapezoid(np.exp(log_pattern) * w, r, axis=1))
        return float(np.abs(np.log(pmf[1] / pmf[0])).max())


class SVT34Parallel(SuiteMechanism):
    """Alg. 3 and Alg. 4 run side by side on the same queries (c = 2), their answers joined."""

    PAIR: ClassVar[Pair] = ((1.0,) * 10, (2.0,) * 5 + (0.0,) * 5)

    def __init__(self, epsilon: float = 0.1, c: int = 2, t: float = 1.0):
        super().__init__(epsilon)
        self.parts = (SparseVectorTechnique3(epsilon, c, t), SparseVectorTechnique4(epsilon, c, t))

    def __call__(self, data, rng):
        return np.hstack([m(data, rng) for m in self.parts])


class NumericalSVT(SuiteMechanism):
    """Numerical sparse vector (Wang et al. 2019): threshold + Lap(3/ε), queries + Lap(6c/ε);
    each query above releases a fresh noisy answer + Lap(3c/ε), 0 below, −1000 after c
    answers above (correct)."""

    PAIR: ClassVar[Pair] = ((2.0,) * 10, (1.0,) * 10)

    def __init__(self, epsilon: float = 0.1, c: int = 2, t: float = 1.0):
        super().__init__(epsilon)
        self.c, self.t = int(c), float(t)

    def __call__(self, data, rng):
        eps = self.epsilon
        rho = laplace(rng, 3 / eps, (len(data), 1))
        above = data + laplace(rng, 6 * self.c / eps, data.shape) >= self.t + rho
        value = data + laplace(rng, 3 * self.c / eps, data.shape)
        before = np.cumsum(above, axis=1, dtype=np.int32) - above
        return np.where(before >= self.c, NUMERIC_BELOW, np.where(above, value, 0.0))


# -- counting on finite computers, and RAPPOR's bit vectors ------------------------------------
class TruncatedGeometric(SuiteMechanism):
    """Balcer & Vadhan's GeoSample (Alg. 4.8): a count in {0..n} released by inverting an exact
    integer table.  Their Thm 4.7 gives ln(1 + 2^−⌈ln(2/ε)⌉) — above the ε it is built with."""

    PAIR: ClassVar[Pair] = ((2.0,), (1.0,))
    DOMAIN = (0.0, 5.0)
    discrete = True

    def __init__(self, epsilon: float = 0.1, n: int = 5):
        super().__init__(epsilon)
        self.n = int(n)
        self.k = math.ceil(math.log(2.0 / self.epsilon))
        self.d = (2 ** (self.k + 1) + 1) * (2**self.k + 1) ** (self.n - 1)

    def table(self, c: int) -> np.ndarray:
        """F(z) for z = 0..n: the draw is the least z with F(z) ≥ u, u uniform in {1..d}."""
        k, n, d = self.k, self.n, self.d
        f = [2 ** (k * (c - z)) * (2**k + 1) ** (n - (c - z)) for z in range(c)]
        f += [d - 2 ** (k * (z - c + 1)) * (2**k + 1) ** (n - 1 - (z - c)) for z in range(c, n)]
        return np.array([*f, d], dtype=np.int64)

    def pmf(self, c: int) -> np.ndarray:
        return np.diff(self.table(c), prepend=0) / self.d

    def __call__(self, data, rng):
        counts = np.clip(np.rint(data[:, 0]), 0, self.n).astype(int)
        u = rng.integers(1, self.d + 1, len(data))
        out = np.empty(len(data), np.int64)
        for c in np.unique(counts):  # a loop over the distinct counts, not the rows
            rows = counts == c
            out[rows] = np.searchsorted(self.table(int(c)), u[rows], side="left")
        return out

    def exact(self, d0, d1) -> float:
        p0, p1 = self.pmf(int(d0[0])), self.pmf(int(d1[0]))
        return float(np.abs(np.log(p1 / p0)).max())

    def log_ratio(self, y, d0, d1):
        p0, p1 = self.pmf(int(d0[0])), self.pmf(int(d1[0]))
        return np.log(p1 / p0)[np.asarray(y, int)]


class Rappor(SuiteMechanism):
    """RAPPOR's one report (steps 1–3): a Bloom filter of h = 4 hashes (MurmurHash3, as the
    paper) in 20 bits, a permanent randomized response (each bit 1 or 0 with chance f/2 each)
    and an instantaneous one (1 with chance q or p).  It claims h·ln(q*(1−p*)/(p*(1−q*))),
    with q*, p* each bit's chance of reporting 1 given a 1 or a 0; it ignores the run's ε."""

    PAIR: ClassVar[Pair] = ((1.0,), (0.0,))
    discrete = True
    fixed_claim = True  # its ε follows from f, p, q and h, not from the run's ε
    hashes, size = 4, 20

    def __init__(self, epsilon: float = 0.1, f: float = 0.75, p: float = 0.45, q: float = 0.55):
        super().__init__(epsilon)
        self.f, self.p, self.q = float(f), float(p), float(q)

    @property
    def one_given(self) -> tuple[float, float]:
        """P(reported bit = 1 | Bloom bit 0), and | Bloom bit 1."""
        half = self.f / 2
        return half * (self.p + self.q) + (1 - self.f) * self.p, half * (self.p + self.q) + (1 - self.f) * self.q

    def claimed(self) -> float:
        p1, q1 = self.one_given
        return self.hashes * math.log(q1 * (1 - p1) / (p1 * (1 - q1)))

    def bloom(self, value) -> np.ndarray:
        import mmh3

        bits = np.zeros(self.size, bool)
        bits[[mmh3.hash(str(int(value)), seed=i) % self.size for i in range(self.hashes)]] = True
        return bits

    def __call__(self, data, rng):
        values = np.rint(data[:, 0]).astype(int)
        filters = np.empty((len(data), self.size), bool)
        for v in np.unique(values):  # a loop over the distinct values, not the rows
            filters[values == v] = self.bloom(v)
        p1, q1 = self.one_given
        return (rng.random(filters.shape) < np.where(filters, q1, p1)).astype(np.int64)

    def _bit_laws(self, d0, d1):
        b0, b1 = self.bloom(d0[0]), self.bloom(d1[0])
        p1, q1 = self.one_given
        return np.where(b0, q1, p1), np.where(b1, q1, p1)

    def exact(self, d0, d1) -> float:
        """Each bit is its own randomized response: the worst output aligns them all."""
        a, b = self._bit_laws(d0, d1)
        one, zero = np.log(b / a), np.log((1 - b) / (1 - a))
        return float(max(np.maximum(one, zero).sum(), -np.minimum(one, zero).sum()))

    def log_ratio(self, y, d0, d1):
        a, b = self._bit_laws(d0, d1)
        return (np.where(y == 1, np.log(b / a), np.log((1 - b) / (1 - a)))).sum(axis=1)


class OneTimeRappor(Rappor):
    """RAPPOR's permanent randomized response alone (steps 1–2), f = 0.95; it claims
    2h·ln((1 − f/2)/(f/2))."""

    def __init__(self, epsilon: float = 0.1, f: float = 0.95):
        super().__init__(epsilon, f=f)

    @property
    def one_given(self) -> tuple[float, float]:
        return self.f / 2, 1 - self.f / 2

    def claimed(self) -> float:
        return 2 * self.hashes * math.log((1 - self.f / 2) / (self.f / 2))


SUITE: dict[str, type[SuiteMechanism]] = {
    cls.__name__: cls for cls in (
        Laplace, TruncatedGeometric, NoisyHist1, NoisyHist2, ReportNoisyMax1, ReportNoisyMax2, ReportNoisyMax3,
        ReportNoisyMax4, SparseVectorTechnique1, SparseVectorTechnique2, SparseVectorTechnique3,
        SparseVectorTechnique4, SparseVectorTechnique5, SparseVectorTechnique6, Rappor, OneTimeRappor,
        LaplaceParallel, SVT34Parallel, PrefixSum, NumericalSVT)
}
