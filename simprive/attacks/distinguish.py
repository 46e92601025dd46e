"""The auditor's candidate tests: scores fitted on one set of runs, whose thresholded value
says "D′" (simprive.attacks.audit picks one on other runs and counts its errors on a third).

* the output itself, either way round (a number);
* each output's log frequency ratio between the worlds (a discrete output: an index, a count,
  a whole bit vector or answer list, encoded as one integer per row);
* the exact log-likelihood ratio, where the mechanism knows its law (``log_ratio``): the
  Neyman–Pearson optimal test;
* for vector outputs, logistic regressions learned on the runs (scikit-learn, as DP-Sniper
  learns its attack): one on the coordinates and an indicator of every value a coordinate takes
  with positive probability (an "aborted" or "below" marker); one on each coordinate's cell
  (a marker, or one of BINS quantile bins of its other values), an additive model whose
  per-coordinate weights follow a log-ratio that is not linear in the value (a clipped
  Laplace ratio, a sign).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Score", "candidates", "row_codes"]

ATOM_SHARE = 0.01  # a coordinate's value seen this often in the fitting runs is a marker
LEARN_ROWS = 1_000_000  # per world: a linear model's fit is as good with these as with millions
LEARN_CELLS = 10_000_000  # per world, rows × coordinates: wide outputs learn from fewer rows
BINS = 16  # quantile bins of a coordinate's non-marker values


@dataclass(frozen=True)
class Score:
    name: str
    of: Callable[[np.ndarray], np.ndarray]  # outputs (m,) or (m, k) → scores (m,)


def row_codes(y: np.ndarray) -> np.ndarray:
    """One integer per output: the value itself for a scalar, a hash of the row for a vector
    (64-bit, collisions among a run's distinct rows have chance below 2^−40)."""
    if y.ndim == 1:
        return y
    bits = np.ascontiguousarray(y, dtype=np.float64).view(np.uint64)
    mix = np.uint64(0x9E3779B97F4A7C15)
    code = np.zeros(len(y), np.uint64)
    with np.errstate(over="ignore"):
        for j in range(y.shape[1]):  # a loop over coordinates, vectorised over rows
            code = (code ^ bits[:, j]) * mix + np.uint64(j + 1)
            code ^= code >> np.uint64(29)
    return code.view(np.int64)


def _frequency_ratio(fit0: np.ndarray, fit1: np.ndarray) -> Score:
    """log((count in world 1 + ½)/(count in world 0 + ½)) of each output's code; 0 for an
    output neither world showed."""
    c0, c1 = row_codes(fit0), row_codes(fit1)
    values = np.union1d(c0, c1)
    f0 = np.bincount(np.searchsorted(values, c0), minlength=len(values)) + 0.5
    f1 = np.bincount(np.searchsorted(values, c1), minlength=len(values)) + 0.5
    ratio = np.log(f1 / f0)

    def of(y):
        c = row_codes(y)
        at = np.searchsorted(values, c).clip(0, len(values) - 1)
        return np.where(values[at] == c, ratio[at], 0.0)

    return Score("frequency ratio", of)


def _markers(fit: np.ndarray) -> list[np.ndarray]:
    """Per coordinate, the values it takes in at least ATOM_SHARE of the fitting runs."""
    out = []
    for j in range(fit.shape[1]):
        values, counts = np.unique(fit[:, j], return_counts=True)
        out.append(values[counts >= ATOM_SHARE * len(fit)])
    return out


def _features(y: np.ndarray, markers: list[np.ndarray]) -> np.ndarray:
    """The coordinates (a marker read as 0) and an indicator of each marker."""
    out = np.empty((len(y), y.shape[1] + sum(len(a) for a in markers)))
    col = y.shape[1]
    for j, atoms in enumerate(markers):
        hits = y[:, j, None] == atoms[None, :]
        out[:, col:col + len(atoms)] = hits
        out[:, j] = np.where(hits.any(axis=1), 0.0, y[:, j])
        col += len(atoms)
    return out


def _learned(fit0: np.ndarray, fit1: np.ndarray, markers: list[np.ndarray], rng: np.random.Generator) -> Score:
    """A logistic regression of the world on the output's features; its score, the linear
    predictor, is applied a coordinate at a time (millions of runs, no feature matrix)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x = _features(np.vstack([fit0, fit1]), markers)
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=1.0, max_iter=500, random_state=int(rng.integers(2**31)))
    model.fit(scaler.transform(x), np.r_[np.zeros(len(fit0)), np.ones(len(fit1))])
    w = model.coef_[0] / scaler.scale_
    b = float(model.intercept_[0] - (scaler.mean_ * w).sum())

    def of(y):
        y = np.asfortranarray(y, dtype=float)
        score, col = np.full(len(y), b), y.shape[1]
        for j, atoms in enumerate(markers):  # a loop over coordinates, vectorised over runs
            v = y[:, j].copy()
            for atom in atoms:
                hit = v == atom
                score += w[col] * hit
                v[hit] = 0.0
                col += 1
            score += w[j] * v
        return score

    return Score("logistic regression", of)


def _cells(v: np.ndarray, atoms: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Each value's cell: the index of its marker, else len(atoms) + its quantile bin."""
    cell = len(atoms) + np.searchsorted(edges, v, side="right")
    if len(atoms):  # markers come sorted (np.unique): one search finds a value's, if it is one
        at = np.searchsorted(atoms, v).clip(0, len(atoms) - 1)
        cell = np.where(atoms[at] == v, at, cell)
    return cell


def _step_lookup(atoms: np.ndarray, edges: np.ndarray, weights: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """``weights[_cells(v, atoms, edges)]`` with one search per value: the markers and the bin
    edges merged into one sorted list of knots, each gap between knots one bin's weight, each
    marker knot its own weight for the value equal to it."""
    knots = np.union1d(atoms, edges)
    marker = np.isin(knots, atoms)
    in_bin = weights[len(atoms) + np.r_[0, np.cumsum(np.isin(knots, edges))]]
    on_marker = np.r_[0.0, weights[np.searchsorted(atoms, knots[marker])]] if len(atoms) else np.zeros(1)
    which = np.r_[0, np.cumsum(marker) * marker]  # per knot after which a value lands: its marker, 1-based
    before = np.r_[-np.inf, knots]

    def of(v: np.ndarray) -> np.ndarray:
        at = np.searchsorted(knots, v, side="right")
        hit = which[at]
        return np.where((hit > 0) & (before[at] == v), on_marker[hit], in_bin[at])

    return of


def _binned(fit0: np.ndarray, fit1: np.ndarray, markers: list[np.ndarray], rng: np.random.Generator) -> Score:
    """A logistic regression on one-hot cells (sparse: one cell per coordinate and run); its
    score is a sum of one looked-up weight per coordinate."""
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    fit = np.vstack([fit0, fit1])
    edges, offsets, cols = [], [], []
    start = 0
    for j, atoms in enumerate(markers):
        rest = fit[~np.isin(fit[:, j], atoms), j]
        e = np.unique(np.quantile(rest, np.linspace(0, 1, BINS + 1)[1:-1])) if len(rest) else np.empty(0)
        edges.append(e)
        offsets.append(start)
        cols.append(start + _cells(fit[:, j], atoms, e))
        start += len(atoms) + len(e) + 1
    x = sparse.csr_matrix((np.ones(fit.size), np.column_stack(cols).ravel(),
                           np.arange(0, fit.size + 1, fit.shape[1])), shape=(len(fit), start))
    labels = np.r_[np.zeros(len(fit0)), np.ones(len(fit1))]
    model = LogisticRegression(C=1.0, max_iter=500, random_state=int(rng.integers(2**31))).fit(x, labels)
    w, b = model.coef_[0], float(model.intercept_[0])
    lookups = [_step_lookup(atoms, edges[j], w[offsets[j]:offsets[j] + len(atoms) + len(edges[j]) + 1])
               for j, atoms in enumerate(markers)]

    def of(y):
        y, score = np.asfortranarray(y), np.full(len(y), b)  # a coordinate's values side by side
        for j, lookup in enumerate(lookups):  # a loop over coordinates, vectorised over runs
            score += lookup(y[:, j])
        return score

    return Score("binned logistic regression", of)


def candidates(fit0: np.ndarray, fit1: np.ndarray, *, discrete: bool,
               log_ratio: Callable[[np.ndarray], np.ndarray] | None, rng: np.random.Generator) -> list[Score]:
    """The tests to choose among, fitted on ``fit0`` (world 0) and ``fit1`` (world 1)."""
    out = []
    if log_ratio is not None:
        # rounded: the float noise of its last digits would otherwise split a region where it is
        # constant by the outputs' low-order bits, a floating-point leak of the sampler rather
        # than of the mechanism (simprive.attacks.floating_point audits that one on purpose)
        out.append(Score("likelihood ratio", lambda y: np.round(log_ratio(y), 9)))
    if fit0.ndim == 1:
        out += [Score("output", lambda y: np.asarray(y, float)), Score("−output", lambda y: -np.asarray(y, float))]
    if discrete and len(fit0):
        out.append(_frequency_ratio(fit0, fit1))
    if fit0.ndim == 2 and len(fit0):
        rows = min(LEARN_ROWS, max(LEARN_CELLS // fit0.shape[1], 10_000))
        fit0, fit1 = fit0[:rows], fit1[:rows]
        markers = _markers(np.vstack([fit0, fit1]))  # shared by both models
        out += [_learned(fit0, fit1, markers, rng), _binned(fit0, fit1, markers, rng)]
    return out
