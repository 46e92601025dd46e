"""One configuration, one sensitivity: every mechanism and protocol that adds noise takes it
from the same place, under either neighbour relation, wherever the range sits."""

import math

import numpy as np
import pytest

from simprive import run_experiment
from simprive.config import compose
from simprive.dp import Gaussian
from simprive.grid import expand
from simprive.runner import plan

# declared range → Δ of a sum, written out by hand: replace one input moves the sum by at
# most upper − lower; adding or removing one moves it by at most max(|lower|, |upper|)
RANGES = {
    (10, 20): {"replace": 10, "add_remove": 20},     # above zero
    (-20, -10): {"replace": 10, "add_remove": 20},   # below zero
    (-5, 15): {"replace": 20, "add_remove": 15},     # straddling zero
}
EPSILON, DELTA, N, TRIALS = 0.8, 1e-5, 10, 4000
NOISY = [("laplace", []), ("gaussian", []), ("analytic_gaussian", []), ("geometric", []),
         ("mpc_noisy_sum", []), ("mpc_noisy_sum", ["mechanism.noise=gaussian"])]


def noise_variance(kind: str, extra: list[str], sens: float) -> float:
    """The noise's variance at Δ = ``sens``, from the textbook formulas."""
    if kind == "laplace":
        return 2 * (sens / EPSILON) ** 2
    if kind in ("geometric", "mpc_noisy_sum") and not extra:
        alpha = math.exp(-EPSILON / sens)
        return 2 * alpha / (1 - alpha) ** 2
    return Gaussian(epsilon=EPSILON, delta=DELTA, sensitivity=sens, analytic=kind != "gaussian").scale ** 2


def overrides(kind, extra, lo, hi, neighbours):
    return [f"mechanism={kind}", *extra, f"lower={lo}", f"upper={hi}", f"scenario.low={lo}", f"scenario.high={hi}",
            "scenario.integer=true", f"n={N}", f"epsilon={EPSILON}", f"delta={DELTA}", f"neighbours={neighbours}",
            f"trials={TRIALS}"]


@pytest.mark.parametrize("neighbours", ["replace", "add_remove"])
@pytest.mark.parametrize("lo, hi", list(RANGES))
@pytest.mark.parametrize("kind, extra", NOISY)
def test_noise_is_calibrated_to_the_configured_sensitivity(kind, extra, lo, hi, neighbours):
    sens = RANGES[(lo, hi)][neighbours]
    s = run_experiment("bounded_sum", overrides(kind, extra, lo, hi, neighbours)).summary
    row = s[s.metric == "sq_error"].iloc[0]
    var = noise_variance(kind, extra, sens)
    assert row.expected == pytest.approx(var, rel=1e-9)
    # and the noise actually drawn has that variance (sq_error of zero-mean noise: its
    # spread gives the standard error of the mean)
    assert abs(row.value - var) < 5 * row["std"] / math.sqrt(TRIALS)


@pytest.mark.parametrize("neighbours", ["replace", "add_remove"])
@pytest.mark.parametrize("lo, hi", list(RANGES))
def test_every_calibrated_kind_gets_the_same_sensitivity(lo, hi, neighbours):
    """Releases built for the same configuration, including the auditor's deliberately
    broken mechanisms, all carry the one sensitivity the configuration has."""
    got = {}
    for kind in ("laplace", "gaussian", "analytic_gaussian", "geometric", "mpc_noisy_sum", "broken_laplace_scale",
                 "broken_no_clamp", "ignore_input"):
        adversary = ["adversary=auditor", "adversary.known_fraction=1.0"] if kind.startswith(("broken", "ignore")) else []
        cfg = compose(["experiment=bounded_sum", *overrides(kind, [], lo, hi, neighbours), *adversary])
        (point,) = expand(cfg)[0]
        release = plan(point).release
        got[kind] = release.sensitivity
        if release.randomiser is not None:
            assert release.randomiser.sensitivity == release.sensitivity
    assert set(got.values()) == {RANGES[(lo, hi)][neighbours]}, got


def test_the_auditor_plays_neighbours_one_sensitivity_apart():
    # with add/remove neighbours on [10, 20], D and D' differ by one input of 20: Laplace at
    # ε = 1 is then exactly 1-DP between them, and the audit certifies close to 1, not 2
    s = run_experiment("audit", ["scenario=bounded", "query=sum", "mechanism.kind=laplace", "lower=10", "upper=20",
                                 "neighbours=add_remove", "epsilon=1.0", "trials=100000", "adversary.known_fraction=1.0",
                                 "scenario.low=10", "scenario.high=20"]).summary
    lb = s[s.metric == "epsilon_lb"].iloc[0]
    assert 0.8 < lb.value <= 1.05 and np.isclose(lb.expected, 1.0)
