"""Statistical assertions shared by the tests."""

import numpy as np


def z_scores(summary):
    """(value − expected) in standard errors of the mean over trials."""
    rows = summary[summary["expected"].notna()]
    se = rows["std"] / np.sqrt(rows["trials"])
    # a spread at rounding level (1e-12) is no spread: such rows must match exactly
    return rows.assign(z=(rows["value"] - rows["expected"]) / se.where(rows["std"] > 1e-12 * (rows["value"].abs() + 1)))


def assert_agrees(summary, sigmas: float = 5.0):
    """Every metric with a closed form agrees with it within ``sigmas`` standard errors
    (a bound from the trial count; seeds are fixed, so this is deterministic).  Rows whose
    spread is zero must match exactly."""
    rows = z_scores(summary)
    assert len(rows), "no row has an expected value"
    flat = rows[rows["z"].isna()]  # no spread over trials
    # a rate with no event (or all events) in T trials is consistent with any rate whose
    # chance of that outcome is at least 1e-6: (1 - r)^T >= 1e-6
    never = flat["value"] == 0.0
    always = flat["value"] == 1.0
    room = 1 - 1e-6 ** (1 / flat["trials"])
    rare = (never & (flat["expected"] <= room)) | (always & (flat["expected"] >= 1 - room))
    exact = flat[~rare]
    np.testing.assert_allclose(exact["value"], exact["expected"], rtol=1e-9, atol=1e-12)
    worst = rows.loc[rows["z"].abs().idxmax()] if rows["z"].notna().any() else None
    assert worst is None or abs(worst["z"]) < sigmas, worst.to_dict()


