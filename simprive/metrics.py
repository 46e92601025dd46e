"""Per-trial metrics, and their summary over trials (mean, spread, 95% interval)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["ALPHA", "INDICATOR", "KINDS", "LOWER_BOUND", "MEASUREMENT", "REPORTED", "Bound", "Rare", "Spread",
           "agreement", "bound_verdict", "kind_of", "selection_metrics", "skew_corrected_z", "summarise", "utility_metrics"]


def utility_metrics(estimate, truth) -> dict[str, np.ndarray]:
    """The utility metrics every numeric release reports, one value per trial."""
    estimate = np.asarray(estimate, dtype=float)
    truth = np.asarray(truth, dtype=float)
    error = estimate - truth
    return {"estimate": estimate, "truth": truth, "error": error, "abs_error": np.abs(error), "sq_error": error**2}


def selection_metrics(chosen, scores) -> dict[str, np.ndarray]:
    """``correct_winner``: the chosen candidate has the top score; ``regret``: how far below."""
    picked = np.take_along_axis(scores, chosen[:, None], axis=1)[:, 0]
    best = scores.max(axis=1)
    return {"correct_winner": (picked == best).astype(float), "regret": (best - picked).astype(float)}


# What each metric is, which decides its interval and how it is checked against `expected`:
# an indicator is 0/1 by definition (exact binomial interval, exact binomial test); a
# measurement is any other per-trial number (t interval, zero width when constant; z-test);
# a lower bound is certified once per configuration (checked: value ≤ expected); a reported
# number (a budget, a claim) is stated, never checked, so it has no `expected`.
INDICATOR, MEASUREMENT, LOWER_BOUND, REPORTED = "indicator", "measurement", "lower bound", "reported"
# the releases' metrics; an attack declares its own in its class's METRICS, next to its code
KINDS = {
    **dict.fromkeys(("correct_winner", "exact_match", "sim_match", "failed", "unmasked", "wrapped"), INDICATOR),
    **dict.fromkeys(("estimate", "truth", "error", "abs_error", "sq_error", "regret", "messages", "bytes", "rounds",
                     "offline_bytes", "seconds_lan", "seconds_wan", "sim_bytes", "seconds", "mpyc_seconds",
                     "view_corr", "leaked_bits", "element_accuracy", "needed_sensitivity", "max_share", "clipped_share",
                     "survivors", "quant_sq_error", "noise_sq_error", "client_bytes", "server_bytes", "expansion",
                     "epsilon_survivors"),
                    MEASUREMENT),
}
PREFIXES = {"partial_P": MEASUREMENT}  # partial_P0, partial_P1, …: one per party
ALPHA = 1e-6  # a row "differs" when sampling error explains it with probability below this
# (|z| > 4.89): a run of a thousand checked rows shows a false "differs" once in a thousand runs
RESOLVING_EVENTS = 10  # fewer expected trials with the deciding event: the row is "unresolved"


def kind_of(metric: str, declared: dict[str, str] | None = None) -> str:
    """The declared kind of a metric: in ``KINDS`` (a release's), or in ``declared`` (the
    attack's ``METRICS``); an undeclared metric is an error."""
    if metric in KINDS:
        return KINDS[metric]
    base = metric.split("[", 1)[0]  # type2[type1=0.05]: one point of a curve, the kind of type2
    if declared and base in declared:
        kind = declared[base]
        if kind not in (INDICATOR, MEASUREMENT, LOWER_BOUND, REPORTED):
            raise KeyError(f"metric {metric!r} is declared {kind!r}: choose indicator, measurement, lower bound or reported")
        return kind
    for prefix, kind in PREFIXES.items():
        if metric.startswith(prefix):
            return kind
    raise KeyError(f"metric {metric!r} has no declared kind: add it to simprive.metrics.KINDS (a release's) "
                   "or to its attack's METRICS")


@dataclass(frozen=True)
class Rare:
    """An expectation that rests on an event of probability ``q`` per trial (e.g. clipping a
    heavy tail): with fewer than ``RESOLVING_EVENTS`` such trials expected, the trials cannot
    resolve it, whatever they show."""

    value: float
    q: float


@dataclass(frozen=True)
class Bound:
    """The exact value a certified lower bound stands below, with the same evidence's bound
    at the strict level ``ALPHA / 2``: only if that too exceeds ``value`` does the row differ
    (a bound at level α exceeds the truth with probability up to 2α by design).  ``value`` is
    NaN where no exact value is known; ``claimed``, the ε the mechanism claims, if it makes one.
    """

    value: float
    strict: float
    claimed: float = math.nan


@dataclass(frozen=True)
class Spread:
    """An expectation together with the exact standard deviation of the per-trial metric (an
    exact table gives both): the agreement check uses it instead of the trials' own spread,
    which misses the rare values a few thousand trials never show."""

    value: float
    sd: float


def summarise(values: np.ndarray, kind: str = MEASUREMENT) -> dict[str, float]:
    """Mean, standard deviation and a 95% interval for the mean over trials: exact
    Clopper–Pearson for an indicator, Student's t otherwise (zero width when constant)."""
    values = np.asarray(values, dtype=float)
    T = len(values)
    mean = float(values.mean())
    # one value for every trial (a game's, a budget's): exactly no spread, not the mean's rounding
    std = (0.0 if values.min() == values.max() else float(values.std(ddof=1))) if T > 1 else float("nan")
    if kind == INDICATOR:
        ci = stats.binomtest(int(values.sum()), T).proportion_ci(0.95, method="exact")
        low, high = float(ci.low), float(ci.high)
    elif T > 1:
        half = float(stats.t.ppf(0.975, T - 1)) * std / np.sqrt(T)
        low, high = mean - half, mean + half
    else:
        low = high = float("nan")
    return {"value": mean, "std": std, "ci_low": low, "ci_high": high}


def skew_corrected_z(values: np.ndarray, expected: float) -> float:
    """(mean − expected) in standard errors, corrected for the trials' skewness by Hall's
    monotone transformation of Johnson's t (Hall 1992, "On the removal of skewness by
    transformation"): a squared error's rare large values, missed by a small sample, drag
    its mean and its spread down together, and the plain z then cries wolf."""
    T = len(values)
    mean, std = values.mean(), values.std(ddof=1)
    g = float(np.mean((values - mean) ** 3)) / std**3
    S = (mean - expected) / std
    return float(np.sqrt(T) * (S + g * S**2 / 3 + g**2 * S**3 / 27 + g / (6 * T)))


def bound_verdict(value: float, exact: float | None, strict: float | None = None,
                  claimed: float = math.nan) -> str | None:
    """A certified lower bound's verdict: ``differs`` when even its ``strict`` version exceeds
    the exact value (the auditor is wrong), else ``violates`` when it exceeds the ``claimed`` ε
    (the mechanism is), else ``agrees`` against an exact value or ``within`` the claim; None
    with neither to compare with."""
    above = lambda x, ref: x > ref * (1 + 1e-9) + 1e-12  # noqa: E731
    known = exact is not None and not math.isnan(exact)
    if known and above(value if strict is None else strict, exact):
        return "differs"
    if not math.isnan(claimed) and above(value, claimed):
        return "violates"
    if known:
        return "agrees"
    return None if math.isnan(claimed) else "within"


def agreement(kind: str, values: np.ndarray, expected, q: float = 1.0, strict: float | None = None,
              sd: float | None = None, claimed: float = math.nan) -> tuple[float, str | None]:
    """Whether the mean of the per-trial ``values`` agrees with ``expected`` within sampling
    error: ``(z, verdict)``.

    The verdict is ``agrees``, ``differs`` (sampling error explains the gap with probability
    below ``ALPHA``), ``unresolved`` (it would differ, but fewer than ``RESOLVING_EVENTS``
    trials were expected to hit the rare event, of probability ``q`` per trial, that the
    expectation rests on; or there is one trial only) or None (nothing to check).  An
    indicator is checked by the exact binomial test, a measurement with a spread by its
    skewness-corrected z, a constant one exactly (to 6 digits); a lower bound differs when
    its ``strict`` version (:class:`Bound`) exceeds ``expected`` (:func:`bound_verdict`); with an exact ``sd``
    (:class:`Spread`) a measurement's z uses it."""
    values = np.asarray(values, dtype=float)
    T, value = len(values), float(values.mean())
    if kind == LOWER_BOUND:
        return np.nan, bound_verdict(value, expected, strict, claimed)
    if expected is None or not np.isfinite(expected):
        return np.nan, None
    z, agrees = np.nan, abs(value - expected) <= 1e-6 * max(1.0, abs(expected))
    spread = T > 1 and values.std(ddof=1) > 1e-12 * (abs(value) + 1)
    if kind == INDICATOR and 0 < expected < 1:
        z = (value - expected) / np.sqrt(expected * (1 - expected) / T)
        agrees = stats.binomtest(int(round(value * T)), T, expected).pvalue >= ALPHA
    elif kind != INDICATOR and sd is not None and sd > 0:
        z = (value - expected) / (sd / np.sqrt(T))
        agrees = abs(z) <= stats.norm.isf(ALPHA / 2)
    elif kind != INDICATOR and spread:
        z = skew_corrected_z(values, expected)
        agrees = abs(z) <= stats.norm.isf(ALPHA / 2)
    if agrees:
        return z, "agrees"
    return z, "unresolved" if T == 1 or T * q < RESOLVING_EVENTS else "differs"
