"""MPC computing a differentially private sum: each party adds a share of the noise.

No party ever sees the exact total: party i adds its own noise share η_i to its input
before the peer-to-peer sum, so only Σx + Ση is reconstructed.

* ``discrete_laplace``: η_i = G1 − G2 with G1, G2 ~ NegBin(1/n, 1 − α), α = e^(−ε/Δ).
  Geometric variables are infinitely divisible, so Σ_i of n such shares is the difference
  of two Geometric(1 − α) variables: exactly discrete Laplace, ε-DP for sensitivity Δ
  (Goryczka & Xiong 2015; the "Pólya" construction).
* ``gaussian``: η_i ~ N(0, σ²/n), with σ the analytic Gaussian scale for (ε, δ).

Colluders who pool their views can subtract their own noise shares: against a coalition
of t parties only n − t shares protect the others.  :func:`effective_epsilon` computes
the ε that remaining noise actually gives, exactly.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats
from scipy.optimize import brentq
from scipy.special import gammaln, hyp2f1, logsumexp

from simprive.dp.gaussian import Gaussian, analytic_delta
from simprive.mpc.rings import PrimeField
from simprive.mpc.sum import p2p_sum
from simprive.validation import ConfigError, check_epsilon, check_int

__all__ = ["FRAC_BITS", "effective_epsilon", "nb_difference_logpmf", "nb_difference_logpmf_closed", "noise_shares",
           "noisy_sum"]

NOISES = ("discrete_laplace", "gaussian")
FRAC_BITS = 16  # Gaussian shares ride in fixed point: each party's input + share rounded to 2^-16


def noise_shares(rng, size, n: int, epsilon: float, *, noise: str = "discrete_laplace", sensitivity: float = 1.0,
                 delta: float = 1e-6) -> np.ndarray:
    """``size + (n,)`` noise shares whose sum over the last axis is the DP noise."""
    shape = tuple(np.atleast_1d(size)) + (n,)
    if noise == "discrete_laplace":
        p = -math.expm1(-epsilon / sensitivity)  # 1 − α
        return rng.negative_binomial(1 / n, p, size=shape) - rng.negative_binomial(1 / n, p, size=shape)
    sigma = Gaussian(epsilon=epsilon, delta=delta, sensitivity=sensitivity, analytic=True).scale
    return rng.normal(0.0, sigma / math.sqrt(n), size=shape)


def noisy_sum(inputs, epsilon: float, rng: np.random.Generator, *, noise: str = "discrete_laplace",
              sensitivity: float = 1.0, delta: float = 1e-6, field=None):
    """The p2p sum of integer ``inputs`` ``(T, n)`` plus distributed noise.

    Returns the :class:`~simprive.mpc.protocol.ProtocolRun` (output: the noisy total,
    decoded) and the ``(T, n)`` noise shares, which are in each party's view."""
    if noise not in NOISES:
        raise ConfigError("mechanism.noise", noise, "choose one of " + ", ".join(NOISES))
    epsilon = check_epsilon(epsilon)
    if not sensitivity > 0:
        raise ConfigError("sensitivity", sensitivity, "must be > 0")
    field = field or PrimeField()
    inputs = np.asarray(inputs)
    T, n = inputs.shape
    shares = noise_shares(rng, T, n, epsilon, noise=noise, sensitivity=sensitivity, delta=delta)
    if noise == "gaussian":  # real-valued noise rides in fixed point
        run = p2p_sum(field.encode(inputs + shares, FRAC_BITS), field, rng)
        run.output = field.decode(run.output, FRAC_BITS)
    else:
        run = p2p_sum(field.encode(inputs + shares), field, rng)
        run.output = field.decode(run.output)
    inner = run.view
    run.view = lambda j: {**inner(j), "noise_share": shares[:, j]}
    return run, shares


def nb_difference_logpmf(r: float, alpha: float, ks: np.ndarray) -> np.ndarray:
    """log P(G1 − G2 = k) for G1, G2 iid NegBin(r, 1 − α), by summing the convolution."""
    nb = stats.nbinom(r, 1 - alpha)
    upper = int(nb.ppf(1 - 1e-16)) + int(ks.max()) + 10
    logf = nb.logpmf(np.arange(upper + 1))
    # P(D = k) = Σ_j f(j + k) f(j)
    return np.array([logsumexp(logf[: upper + 1 - k] + logf[k:]) for k in ks])  # ks is short: a few hundred


def nb_difference_logpmf_closed(r: float, alpha: float, ks: np.ndarray) -> np.ndarray:
    r"""The same law in closed form, an independent route to it: for k ≥ 0

    .. math:: P(D = k) = (1-\alpha)^{2r}\,\alpha^k\,\frac{\Gamma(k+r)}{\Gamma(r)\,k!}
              \;{}_2F_1(r, k+r; k+1; \alpha^2)

    (the convolution's series summed by the Gauss hypergeometric function), symmetric in k."""
    k = np.abs(np.asarray(ks))
    return (2 * r * np.log1p(-alpha) + k * np.log(alpha) + gammaln(k + r) - gammaln(r) - gammaln(k + 1)
            + np.log(hyp2f1(r, k + r, k + 1, alpha * alpha)))


def effective_epsilon(n: int, colluders: int, epsilon: float, *, noise: str = "discrete_laplace",
                      sensitivity: int = 1, delta: float = 1e-6, independent: bool = False) -> float:
    """The ε the honest parties' noise still gives against ``colluders`` who subtract
    their own shares: exact for discrete Laplace (the largest log-ratio of the remaining
    noise's pmf at k and k + Δ, the pmf by convolution or, ``independent=True``, in closed
    form); for Gaussian, the ε at which the remaining σ meets δ (Balle & Wang's privacy
    profile, or, ``independent=True``, Google's dp-accounting PLD of that Gaussian)."""
    n, epsilon = check_int("n", n, minimum=1), check_epsilon(epsilon)
    colluders = check_int("adversary.colluders", colluders, minimum=0)
    if colluders > n:
        raise ConfigError("adversary.colluders", colluders, f"must be at most n={n}")
    if colluders == n:
        return math.inf  # no honest noise left
    r = (n - colluders) / n
    if noise == "gaussian":
        sigma = Gaussian(epsilon=epsilon, delta=delta, sensitivity=sensitivity, analytic=True).scale * math.sqrt(r)
        if independent:
            from dp_accounting.pld import privacy_loss_distribution as pld

            return float(pld.from_gaussian_mechanism(sigma, sensitivity=sensitivity).get_epsilon_for_delta(delta))
        f = lambda e: analytic_delta(sigma, e, sensitivity) - delta  # noqa: E731
        return float(brentq(f, 1e-9, 1e4)) if f(1e-9) > 0 else 0.0
    alpha = math.exp(-epsilon / sensitivity)
    ks = np.arange(0, 200 + sensitivity)
    logp = (nb_difference_logpmf_closed if independent else nb_difference_logpmf)(r, alpha, ks)
    # symmetric noise: the largest |log P(k) − log P(k + Δ)| over k ≥ −Δ/2 covers all k
    ratios = np.abs(logp[:-sensitivity] - logp[sensitivity:])
    k_neg = np.arange(1, sensitivity)  # pairs straddling 0: P(−k) = P(k)
    extra = np.abs(logp[k_neg] - logp[sensitivity - k_neg]) if sensitivity > 1 else np.array([])
    return float(max(ratios.max(), extra.max(initial=0.0)))
