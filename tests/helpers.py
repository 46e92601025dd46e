"""Statistical assertions shared by the tests."""

import numpy as np


def z_scores(summary):
    """(value − expected) in standard errors of the mean over trials."""
    rows = summary[summary["expected"].notna()]
    se = rows["std"] / np.sqrt(rows["trials"])
    return rows.assign(z=(rows["value"] - rows["expected"]) / se.where(se > 0))


def assert_agrees(summary, sigmas: float = 5.0):
    """Every metric with a closed form agrees with it within ``sigmas`` standard errors
    (a bound from the trial count; seeds are fixed, so this is deterministic).  Rows whose
    spread is zero must match exactly."""
    rows = z_scores(summary)
    assert len(rows), "no row has an expected value"
    exact = rows[rows["z"].isna()]
    np.testing.assert_allclose(exact["value"], exact["expected"], rtol=1e-9, atol=1e-12)
    worst = rows.loc[rows["z"].abs().idxmax()] if rows["z"].notna().any() else None
    assert worst is None or abs(worst["z"]) < sigmas, worst.to_dict()


