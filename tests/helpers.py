"""Statistical assertions shared by the tests."""

import numpy as np


def z_scores(summary):
    """Rows whose value has a z-score against its expected value (the summary's ``z``)."""
    return summary[summary["z"].notna()]


def assert_agrees(summary):
    """Every metric with an expected value agrees with it within sampling error, as the
    summary's ``agreement`` column judges it (seeds are fixed, so this is deterministic):
    z-tests and exact binomial tests at the 1e-6 level, exact equality for constant rows,
    and certified lower bounds that hold.  A row the trials cannot resolve is not a
    disagreement, but most rows must be resolved."""
    rows = summary[summary["agreement"].notna()]
    assert len(rows), "no row has an expected value"
    differs = rows[rows["agreement"] == "differs"]
    cols = ["mechanism", "metric", "value", "expected", "std", "trials", "z", "config_hash"]
    assert differs.empty, differs[[c for c in cols if c in differs]].to_dict("records")
    assert (rows["agreement"] == "agrees").mean() > 0.5
