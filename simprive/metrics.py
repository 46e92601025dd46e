"""Per-trial metrics, and their summary over trials (mean, spread, 95% interval)."""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["selection_metrics", "summarise", "utility_metrics"]

Z95 = float(stats.norm.ppf(0.975))


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


def summarise(values: np.ndarray) -> dict[str, float]:
    """Mean, standard deviation and a 95% interval for the mean over trials.

    0/1 metrics get the exact Clopper–Pearson interval; others the normal one.
    """
    values = np.asarray(values, dtype=float)
    T = len(values)
    mean = float(values.mean())
    std = float(values.std(ddof=1)) if T > 1 else float("nan")
    if np.isin(values, (0.0, 1.0)).all():
        ci = stats.binomtest(int(values.sum()), T).proportion_ci(0.95, method="exact")
        low, high = float(ci.low), float(ci.high)
    elif T > 1:
        half = Z95 * std / np.sqrt(T)
        low, high = mean - half, mean + half
    else:
        low = high = float("nan")
    return {"value": mean, "std": std, "ci_low": low, "ci_high": high}
