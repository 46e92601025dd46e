"""Distributed DP: integer noise shares each client adds before secure aggregation, and the ε their sum gives.

Each of n clients adds an integer share η_u to its (integer, scaled) vector before secure
aggregation, so the server only learns Σx + Ση over the clients that survive.  Three
families of shares, each closed (or nearly so) under summation:

* ``dgauss``: η_u ~ N_Z(0, σ²), the discrete Gaussian (Canonne, Kamath & Steinke 2020).
  A sum of discrete Gaussians is not a discrete Gaussian, but close to one when σ is not
  tiny; the RDP bound of Kairouz, Liu & Steinke (ICML 2021, Prop. 14) pays for the gap.
* ``skellam``: η_u = Poisson(λ) − Poisson(λ), variance 2λ; the sum of s shares is exactly
  Skellam(sλ, sλ) (Agarwal, Kairouz & Liu, NeurIPS 2021).
* ``polya``: η_u = NegBin(1/n, 1 − α) − NegBin(1/n, 1 − α), α = e^{−ε/Δ1}; the sum of all n
  is exactly discrete Laplace, pure ε-DP (Goryczka & Xiong 2015), as in
  :mod:`simprive.mpc.noisy`.

Dropouts matter: if only s < n clients survive, only s shares are in the sum, and the ε it
gives is larger.  :meth:`DistributedNoise.epsilon_for` computes it for any s.

The RDP bounds and the order grid follow the authors' accounting code
(google-research/federated ``distributed_dp/accounting_utils.py``): integer orders, the
minimum of the three terms of Prop. 14 for the discrete Gaussian, and the Skellam bound
in terms of the total noise variance μ; (ε, δ) by dp-accounting's RDP conversion.  One
addition: Prop. 14's τ grows with the number of shares, so the discrete Gaussian's bound
at s shares is also taken at fewer, s' < s, where that is smaller (post-processing; see
:meth:`DistributedNoise.rdp`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.special import logsumexp

from simprive.dp.base import whole_numbers
from simprive.dp.calibration import smallest_scale
from simprive.validation import ConfigError, check_all, check_choice, check_delta, check_epsilon, check_int, check_real

__all__ = ["KINDS", "NOISES", "ORDERS", "DistributedNoise", "discrete_gaussian", "discrete_gaussian_logpmf",
           "discrete_gaussian_variance", "survivor_average"]

NOISES = ("dgauss", "skellam", "polya", "none")
KINDS = NOISES  # the same choices, by the field's name
# Integer Rényi orders, as the authors' code uses (the Skellam bound holds for integer α only):
# every integer up to 256, then a geometric grid, ratio 2^(1/4), up to 2^24.  The large orders
# matter: the optimal order is about 2·log(1/δ)/ε, so without them a small ε (many clients, or
# large σ) would be overstated (research notes: 0.1042 with orders ≤ 64 vs 0.0323 at α = 256).
# A ratio of 2^(1/4) between grid points costs at most (r + 1/r)/2 − 1 < 0.4% of ε.
ORDERS: tuple[int, ...] = tuple(range(2, 257)) + tuple(
    sorted({int(round(256 * 2 ** (k / 4))) for k in range(1, 4 * 16 + 1)}))

# Above this σ the truncated support ±(12σ + 10) would hold millions of points; there the
# Poisson-summation dual series (see discrete_gaussian_variance) is exact in float64.
_DIRECT_SUM_MAX_SIGMA = 1e4


def _check_sigma(sigma) -> float:
    sigma = check_real("sigma", sigma)
    if sigma <= 0:
        raise ConfigError("sigma", sigma, "must be a finite number > 0")
    return sigma


def discrete_gaussian(rng: np.random.Generator, sigma: float, size) -> np.ndarray:
    r"""``size`` draws of the discrete Gaussian :math:`N_\mathbb{Z}(0, \sigma^2)`,
    :math:`P(k) \propto e^{-k^2/(2\sigma^2)}` on the integers, as int64.

    Canonne, Kamath & Steinke (2020), Algorithm 3: propose Y from the discrete Laplace law
    :math:`P(y) \propto e^{-|y|/t}`, :math:`t = \lfloor\sigma\rfloor + 1` (the difference of two
    numpy geometric draws with success probability :math:`1 - e^{-1/t}`), and accept it with
    probability

    .. math:: \exp\left(-\frac{(|Y| - \sigma^2/t)^2}{2\sigma^2}\right).

    Proposal × acceptance is :math:`\propto e^{-y^2/(2\sigma^2)}`, so accepted draws have exactly
    the discrete Gaussian law.  Vectorised over rejection rounds: a whole batch is proposed,
    and only the rejected entries are proposed again (the acceptance rate is bounded below
    for every σ, so the rounds are few: about log(size) of them).

    Exactness is up to the acceptance coin, which compares a uniform float with a
    floating-point ``exp`` (CKS's Bernoulli(exp(−γ)) sampler avoids this, at the cost of a loop
    per sample); the bias is of the order of float64's rounding, 1e-16, and numpy's generator
    is no cryptographic source anyway.
    """
    sigma = _check_sigma(sigma)
    out = np.empty(size, dtype=np.int64)
    flat = out.reshape(-1)  # a view: out is fresh and contiguous
    t = math.floor(sigma) + 1
    p = -math.expm1(-1.0 / t)  # 1 − e^{−1/t}, accurate for large t
    shift, two_var = sigma * sigma / t, 2.0 * sigma * sigma
    pending = np.arange(flat.size)
    while pending.size:
        m = pending.size
        y = rng.geometric(p, m) - rng.geometric(p, m)
        accept = rng.random(m) < np.exp(-((np.abs(y) - shift) ** 2) / two_var)
        flat[pending[accept]] = y[accept]
        pending = pending[~accept]
    return out


def _support(sigma: float) -> np.ndarray:
    """k ≥ 0 up to 12σ + 10: beyond, e^{−k²/2σ²} < e^{−72} of the mode (symmetric law)."""
    return np.arange(0, math.ceil(12 * sigma + 10) + 1, dtype=np.float64)


def _log_normaliser(sigma: float) -> float:
    r"""log Z, :math:`Z = \sum_k e^{-k^2/(2\sigma^2)}`."""
    if sigma > _DIRECT_SUM_MAX_SIGMA:
        # Poisson summation: Z = σ√(2π) (1 + 2 Σ_{m≥1} e^{−2π²σ²m²}); the series underflows
        # to 0 for σ > 6, so this is exact in float64
        return math.log(sigma * math.sqrt(2 * math.pi))
    k = _support(sigma)
    logw = -(k * k) / (2 * sigma * sigma)
    return float(logsumexp(np.concatenate([logw, logw[1:]])))  # k and −k


def discrete_gaussian_logpmf(sigma: float, k) -> np.ndarray:
    r"""log P(k) of :math:`N_\mathbb{Z}(0, \sigma^2)`: :math:`-k^2/(2\sigma^2) - \log Z`, Z summed
    over the truncated support ±(12σ + 10) (σ ≤ 10⁴; beyond, by Poisson summation)."""
    sigma = _check_sigma(sigma)
    k = np.asarray(k, dtype=np.float64)
    return -(k * k) / (2 * sigma * sigma) - _log_normaliser(sigma)


def discrete_gaussian_variance(sigma: float) -> float:
    r"""The exact variance of :math:`N_\mathbb{Z}(0, \sigma^2)`:

    .. math:: \mathrm{Var} = \frac{\sum_k k^2 e^{-k^2/(2\sigma^2)}}{\sum_k e^{-k^2/(2\sigma^2)}},

    summed over k in ±(12σ + 10) (the terms beyond are below e^{−72} of the largest).  It is
    below σ², by a relative :math:`\approx 8\pi^2\sigma^2 e^{-2\pi^2\sigma^2}` for σ ≳ 1 (Poisson
    summation: :math:`\mathrm{Var} = \sigma^2 \frac{1 + 2\sum_m (1 - 4\pi^2\sigma^2 m^2)
    e^{-2\pi^2\sigma^2 m^2}}{1 + 2\sum_m e^{-2\pi^2\sigma^2 m^2}}`), a gap that underflows float64
    for σ > 6; so for σ > 10⁴, where the support would hold millions of points, it is σ².
    """
    sigma = _check_sigma(sigma)
    if sigma > _DIRECT_SUM_MAX_SIGMA:
        return sigma * sigma
    k = _support(sigma)
    w = np.exp(-(k * k) / (2 * sigma * sigma))
    # the k = 0 term carries no k², and every other k appears twice (±k)
    return float(2 * np.sum(k * k * w) / (1 + 2 * np.sum(w[1:])))


def _taus(counts: np.ndarray, sigma: float) -> np.ndarray:
    r"""The inflation term of the sum of s discrete Gaussians (Kairouz, Liu & Steinke 2021,
    Thm. 1), :math:`\tau(s) = 10 \sum_{k=1}^{s-1} e^{-2\pi^2\sigma^2 k/(k+1)}`, at each of the
    increasing ``counts``: one running sum, in blocks that bound the memory for many clients."""
    c = 2 * math.pi**2 * sigma * sigma
    out = np.zeros(len(counts))
    if c / 2 > 745.2:  # even the largest term (k = 1) underflows: τ = 0
        return out
    total, block, top = 0.0, 1 << 20, int(counts[-1])
    for start in range(1, top, block):
        k = np.arange(start, min(start + block, top), dtype=np.float64)
        partial = total + np.cumsum(np.exp(-c * k / (k + 1)))  # partial[i]: Σ up to k = start + i
        inside = (counts > start) & (counts <= start + len(k))
        out[inside] = partial[counts[inside] - 1 - start]
        total = float(partial[-1])
    return 10.0 * out


def _fewer_shares(s: int) -> np.ndarray:
    """The counts s' ≤ s whose bound the sum of s shares inherits: every one up to 512, then a
    geometric grid of ratio 1.01, and s itself (any subset gives a valid bound; s keeps it at
    most the bound at s; the bound varies slowly in s', so the grid loses little)."""
    if s <= 512:
        return np.arange(1, s + 1)
    grid = np.geomspace(512, s, num=math.ceil(math.log(s / 512) / math.log(1.01)) + 1)
    return np.unique(np.concatenate([np.arange(1, 513), np.round(grid).astype(np.int64), [s]]))


def _dgauss_rdp(orders: np.ndarray, s: int, sigma: float, l1: float, l2: float, dim: int) -> np.ndarray:
    """Prop. 14 at each s' of :func:`_fewer_shares` (s), the least at each order.

    The sum of s shares is the sum of s' ≤ s of them plus independent noise (the other
    s − s'), a post-processing, so it inherits the bound at s'.  The bound is not monotone in
    s': τ grows about linearly with it, so for small σ and many clients fewer shares give the
    tighter bound (without this, ε would *fall* as clients drop out).  With τ = 0 the bound
    decreases in s', and s is the least."""
    counts = _fewer_shares(s) if _taus(np.array([2]), sigma)[0] > 0 else np.array([s])
    tau = _taus(counts, sigma)[:, None]
    root = np.sqrt(counts)[:, None] * sigma
    a2, a1 = l2 / root, l1 / root  # sensitivities / central σ
    half = orders[None, :] / 2
    terms = np.minimum.reduce([half * a2**2 + tau * dim,
                               half * (a2**2 + 2 * a1 * tau + tau**2 * dim),
                               half * (a2 + math.sqrt(dim) * tau) ** 2])
    return terms.min(axis=0)


def _skellam_rdp(orders: np.ndarray, s: int, lam: float, l1: float, l2: float) -> np.ndarray:
    a, mu = np.ceil(orders), s * 2 * lam  # the bound holds at integer α; D_α grows with α, so ⌈α⌉ is safe
    return a * l2**2 / (2 * mu) + np.minimum(((2 * a - 1) * l2**2 + 6 * l1) / (4 * mu**2), 3 * l1 / (2 * mu))


def _rdp_epsilon(rdp: np.ndarray, delta: float) -> float:
    from dp_accounting.rdp import compute_epsilon  # its import takes a while: only when accounting

    return float(compute_epsilon(ORDERS, rdp, delta)[0])


def _check_fields(kind, n, delta, l1, l2, dim) -> tuple:
    """The shared checks of the constructor and :meth:`DistributedNoise.calibrate`, reported together."""
    def positive(key, value):
        value = check_real(key, value)
        if value <= 0:
            raise ConfigError(key, value, "must be a finite number > 0")
        if kind == "polya" and key == "l1" and not value.is_integer():
            # the Pólya shares' ε is computed at integer shifts of the integer domain
            raise ConfigError(key, value, "must be an integer for polya noise (the integer-domain L1 sensitivity)")
        return value

    return tuple(check_all(lambda: check_choice("mechanism.noise", kind, NOISES), lambda: check_int("n", n),
                           lambda: check_delta(delta, positive=kind in ("dgauss", "skellam")),
                           lambda: positive("l1", l1), lambda: positive("l2", l2),
                           lambda: check_int("dim", dim)))


def _max_plus_power(losses: np.ndarray, parts: int) -> np.ndarray:
    """best[t] = the largest Σ losses[j_i] over at most ``parts`` shifts j_i ≥ 0 adding up to
    t ≤ len(losses) − 1 (losses[0] = 0: an unused part), by repeated max-plus squaring."""
    def convolve(a, b):
        return np.array([np.max(a[: t + 1] + b[t::-1]) for t in range(len(a))])

    result = np.full(len(losses), -np.inf)
    result[0], power = 0.0, losses  # the max-plus identity: no part at all
    while parts:
        if parts & 1:
            result = convolve(result, power)
        parts >>= 1
        if parts:
            power = convolve(power, power)
    return result


@dataclass(frozen=True)
class DistributedNoise:
    r"""Integer noise shares for secure aggregation over ``n`` clients, and their privacy.

    ``scale`` is the per-client parameter: σ of the discrete Gaussian (``dgauss``); the
    Poisson rate λ (``skellam``: each client adds Poisson(λ) − Poisson(λ), variance 2λ); the
    ε of the full sum (``polya``: each client adds NegBin(1/n, 1 − α) − NegBin(1/n, 1 − α),
    :math:`\alpha = e^{-\varepsilon/\Delta_1}`, and the sum of all n is discrete Laplace);
    0 (``none``).  ``l1`` and ``l2`` are the integer-domain sensitivities of one client's
    contribution, ``dim`` its dimension, ``delta`` the δ at which :meth:`epsilon_for` reports
    ε (0 for the pure-DP ``polya`` and for ``none``).  Use :meth:`calibrate` for the smallest
    scale that meets (ε, δ).
    """

    kind: str
    n: int
    scale: float
    delta: float = 0.0
    l1: float = 1.0
    l2: float = 1.0
    dim: int = 1

    def __post_init__(self):
        kind, n, delta, l1, l2, dim = _check_fields(self.kind, self.n, self.delta, self.l1, self.l2, self.dim)
        if kind == "polya":
            scale = check_epsilon(self.scale, "scale")
        elif kind == "none":
            scale = 0.0
        else:
            scale = check_real("scale", self.scale)
            if scale <= 0:
                raise ConfigError("scale", scale, f"must be a finite number > 0 for {kind} noise")
        for name, value in dict(kind=kind, n=n, scale=scale, delta=delta, l1=l1, l2=l2, dim=dim).items():
            object.__setattr__(self, name, value)  # frozen: the checked, normalised values

    # ----------------------------------------------------------------------------- the shares

    def _alpha(self) -> tuple[float, float]:
        """(α, 1 − α) of the Pólya shares, α = e^{−ε/Δ1}; 1 − α by expm1, accurate for small ε."""
        return math.exp(-self.scale / self.l1), -math.expm1(-self.scale / self.l1)

    def shares(self, rng: np.random.Generator, size) -> np.ndarray:
        """One client's noise share for every entry of an array of shape ``size``, as int64
        (zeros for ``none``); shares of different clients are independent draws."""
        if self.kind == "dgauss":
            return discrete_gaussian(rng, self.scale, size)
        if self.kind == "skellam":
            return (rng.poisson(self.scale, size) - rng.poisson(self.scale, size)).astype(np.int64)
        if self.kind == "polya":
            p = self._alpha()[1]
            return (rng.negative_binomial(1 / self.n, p, size) - rng.negative_binomial(1 / self.n, p, size)).astype(
                np.int64)
        return np.zeros(size, dtype=np.int64)

    def share_variance(self) -> float:
        r"""The exact variance of one client's share: ``dgauss`` :func:`discrete_gaussian_variance`
        (σ); ``skellam`` 2λ; ``polya`` :math:`2 \cdot \frac1n \cdot \alpha/(1-\alpha)^2` (a NegBin(r, 1 − α)
        has variance rα/(1 − α)²); ``none`` 0."""
        if self.kind == "dgauss":
            return discrete_gaussian_variance(self.scale)
        if self.kind == "skellam":
            return 2.0 * self.scale
        if self.kind == "polya":
            alpha, one_minus = self._alpha()
            return 2.0 / self.n * alpha / one_minus**2
        return 0.0

    # ----------------------------------------------------------------------------- the privacy

    def _check_survivors(self, survivors) -> np.ndarray:
        s = np.asarray(survivors)
        if s.dtype == bool or not np.issubdtype(s.dtype, np.number) or not whole_numbers(s) or \
                np.any(s < 0) or np.any(s > self.n):
            raise ConfigError("survivors", survivors, f"must be whole numbers of clients in [0, n={self.n}]")
        return s.astype(np.int64)

    def rdp(self, survivors: int, orders=ORDERS) -> np.ndarray:
        r"""The RDP curve ε(α) at ``orders`` of the sum of ``survivors`` = s ≤ n clients' shares.

        ``dgauss`` (Kairouz, Liu & Steinke 2021, Prop. 14, with n replaced by s):

        .. math:: \varepsilon(\alpha) = \min\Big\{ \frac{\alpha\Delta_2^2}{2s\sigma^2} + \tau d,\;
                  \frac\alpha2\Big[\frac{\Delta_2^2}{s\sigma^2} + \frac{2\tau\Delta_1}{\sqrt s\,\sigma}
                  + \tau^2 d\Big],\; \frac\alpha2\Big[\frac{\Delta_2}{\sqrt s\,\sigma} + \tau\sqrt d\Big]^2\Big\},
                  \quad \tau = 10\sum_{k=1}^{s-1} e^{-2\pi^2\sigma^2 k/(k+1)},

        or, at each order, the same bound at fewer shares s' < s where it is smaller (the
        other s − s' shares are independent noise added on top: post-processing); τ grows with
        s', so for σ ≲ 1 and many clients that is tighter, and keeps ε growing as clients drop.

        ``skellam`` (Agarwal, Kairouz & Liu 2021), μ = 2sλ the total variance, integer α
        (a fractional order is evaluated at ⌈α⌉, an upper bound since D_α grows with α):

        .. math:: \varepsilon(\alpha) = \frac{\alpha\Delta_2^2}{2\mu}
                  + \min\Big\{\frac{(2\alpha-1)\Delta_2^2 + 6\Delta_1}{4\mu^2},\; \frac{3\Delta_1}{2\mu}\Big\}.

        ``polya``: pure ε_s-DP (ε_s = :meth:`epsilon_for` (s)) gives min(ε_s, αε_s²/2) (Bun &
        Steinke 2016, Prop. 3.3).  ``none``, or s = 0: ∞.
        """
        s = int(self._check_survivors(survivors))
        orders = np.asarray(orders, dtype=np.float64)
        if orders.ndim != 1 or np.any(orders <= 1):
            raise ValueError("Rényi orders must be a sequence of numbers > 1")
        if s == 0 or self.kind == "none":
            return np.full(orders.shape, np.inf)
        if self.kind == "dgauss":
            return _dgauss_rdp(orders, s, self.scale, self.l1, self.l2, self.dim)
        if self.kind == "skellam":
            return _skellam_rdp(orders, s, self.scale, self.l1, self.l2)
        eps = self._polya_epsilon(s)
        return np.minimum(eps, orders * eps**2 / 2)

    def _polya_epsilon(self, s: int) -> float:
        """Exact pure ε of the s survivors' Pólya shares (their sum: NB(s/n) − NB(s/n) per coordinate).

        Per coordinate, L(j) = max_k |log P(k) − log P(k + j)| (for d = 1, j = Δ1, it is
        :func:`simprive.mpc.noisy.effective_epsilon`).  Independent coordinates add their
        losses, so a neighbour that moves the vector by shifts j_i with Σ j_i ≤ Δ1 costs
        Σ L(j_i).  L is subadditive (triangle inequality: L(a + b) ≤ L(a) + L(b)), so with
        d ≥ Δ1 coordinates unit shifts are the worst, Δ1·L(1); with 1 < d < Δ1, the worst split
        into at most d parts.  With all n shares L(j) = jε/Δ1, and every split gives ε; with
        fewer, L(j) ≈ jε/Δ1 + a constant from the pmf's cusp at 0, which each part pays.
        """
        from simprive.mpc.noisy import effective_epsilon, nb_difference_logpmf

        l1, colluders = int(self.l1), self.n - s
        parts = min(self.dim, l1)
        if parts == 1:
            return effective_epsilon(self.n, colluders, self.scale, sensitivity=l1)
        if parts == l1:  # α = e^{−ε/Δ1} at sensitivity 1 is ε/Δ1 for effective_epsilon
            return l1 * effective_epsilon(self.n, colluders, self.scale / l1, sensitivity=1)
        # 1 < d < Δ1: L(j) for every j from one pmf (k in ±(200 + Δ1), effective_epsilon's range
        # and more), then the best split into at most d parts by max-plus convolution powers
        logp = nb_difference_logpmf(s / self.n, self._alpha()[0], np.arange(0, 201 + l1))
        logp = np.concatenate([logp[:0:-1], logp])  # symmetric: k = −K … K
        losses = np.array([0.0] + [float(np.max(np.abs(logp[:-j] - logp[j:]))) for j in range(1, l1 + 1)])
        return float(np.max(_max_plus_power(losses, parts)))

    def _epsilon(self, s: int) -> float:
        if s == 0 or self.kind == "none":
            return math.inf
        if self.kind == "polya":
            return self._polya_epsilon(s)
        return _rdp_epsilon(self.rdp(s), self.delta)

    def epsilon_for(self, survivors):
        """ε at ``delta`` of the sum of ``survivors`` clients' shares (fewer shares: less noise,
        larger ε): ``dgauss`` and ``skellam`` from :meth:`rdp` over :data:`ORDERS` by
        dp-accounting's conversion, ε = min_α ε(α) + log(1 − 1/α) − log(δα)/(α − 1); ``polya``
        exactly, pure ε-DP; ``none`` or no survivors: ∞.

        ``survivors`` may be an array of counts (a float is returned for a scalar, else an
        array of its shape); each distinct count is computed once."""
        s = self._check_survivors(survivors)
        unique, inverse = np.unique(s, return_inverse=True)
        eps = np.array([_epsilon_of(self, int(u)) for u in unique])[inverse].reshape(s.shape)
        return float(eps) if s.ndim == 0 else eps

    @classmethod
    def calibrate(cls, kind: str, *, n: int, epsilon: float, delta: float, l1: float = 1.0, l2: float = 1.0,
                  dim: int = 1) -> DistributedNoise:
        """The smallest per-client scale whose sum over all ``n`` clients meets (ε, δ).

        ``dgauss`` and ``skellam``: ε(scale) of :meth:`epsilon_for` (n) decreases in σ and in λ,
        so Brent's method on log(scale) finds where it crosses ``epsilon`` (relative tolerance
        far below 1e-9), nudged upwards so the target holds (:func:`~simprive.dp.calibration.smallest_scale`).
        ``polya``: scale = ε itself (pure ε-DP, ``delta`` ignored); ``none``: scale 0.

        With small σ the discrete Gaussian's bound is at its best at a few hundred shares
        (τ grows with their number), so for many clients the σ found stops depending on n.

        A target below what the order grid resolves (about log(1/δ)/2^24 when δ < 2^−24) gets
        the scale at which dp-accounting's KL shortcut (RDP below δ²) reports ε = 0: it meets
        the target, with room to spare.
        """
        (kind, n, delta, l1, l2, dim), epsilon = check_all(lambda: _check_fields(kind, n, delta, l1, l2, dim),
                                                           lambda: check_epsilon(epsilon))
        if kind in ("polya", "none"):
            return cls(kind=kind, n=n, scale=epsilon if kind == "polya" else 0.0, delta=0.0, l1=l1, l2=l2, dim=dim)
        orders = np.asarray(ORDERS, dtype=np.float64)
        if kind == "dgauss":
            loss = lambda sigma: _rdp_epsilon(_dgauss_rdp(orders, n, sigma, l1, l2, dim), delta)  # noqa: E731
            lo, hi = 1e-12, 1e15
        else:
            loss = lambda lam: _rdp_epsilon(_skellam_rdp(orders, n, lam, l1, l2), delta)  # noqa: E731
            lo, hi = 1e-12, 1e30  # λ grows as σ², so its range is the square of σ's
        try:
            scale = smallest_scale(loss, epsilon, lo=lo, hi=hi)
        except ValueError:  # only for a δ so small that even the KL shortcut (RDP < δ²) stays out of reach
            raise ConfigError("epsilon", epsilon, f"is out of reach of {kind} noise up to scale {hi:g} at "
                                                  f"delta={delta:g}") from None
        return cls(kind=kind, n=n, scale=scale, delta=delta, l1=l1, l2=l2, dim=dim)


@functools.lru_cache(maxsize=4096)
def _epsilon_of(noise: DistributedNoise, survivors: int) -> float:
    """:meth:`DistributedNoise._epsilon`, remembered: a run asks for the same survivor
    counts batch after batch, and an exact Pólya ε with a large Δ1 takes a while."""
    return noise._epsilon(survivors)


def survivor_average(noise: DistributedNoise, clients: int, rate: float) -> float:
    """E[ε(s)] for s ~ Bin(clients, rate) survivors, given at least one (with none the sum
    has no noise and ε is infinite), summed over the counts with P(s) > 10⁻¹⁵: the exact
    average a run's per-trial ``epsilon_for`` must agree with."""
    s = np.arange(1, clients + 1)
    pmf = stats.binom.pmf(s, clients, rate)
    keep = pmf > 1e-15
    return float(np.dot(pmf[keep], np.asarray(noise.epsilon_for(s[keep]), float)) / pmf[keep].sum())
