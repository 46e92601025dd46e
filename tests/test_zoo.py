"""The published suite of audited mechanisms (simprive.dp.zoo), any mechanism on datasets
(mechanism=zoo), and the auditor's verdicts on them: samplers against scipy.stats and their
exact laws, exact ε against closed forms from the papers, bounds that stay below the truth and
catch the broken ones, and one-line refusals of bad input."""

import math
import subprocess
import sys
import textwrap

import mmh3
import numpy as np
import pytest
from scipy import stats

from simprive import ConfigError
from simprive.attacks.audit import patterns, trials_needed
from simprive.dp.zoo import SNIPER, SUITE, laplace
from simprive.metrics import bound_verdict
from simprive.runner import run_experiment

RNG = np.random.default_rng(20)


def draw(name, world=0, size=200_000, **options):
    m = SUITE[name](0.1, **options)
    d = np.asarray(m.PAIR[world], float)
    return m, d, m(np.tile(d, (size, 1)), np.random.default_rng(world + 1))


def chi_square_agrees(counts, probs):
    probs = np.asarray(probs, float)
    keep = probs * counts.sum() >= 5
    observed = np.r_[counts[keep], counts[~keep].sum()]
    expected = np.r_[probs[keep], probs[~keep].sum()] * counts.sum()
    observed, expected = observed[expected > 0], expected[expected > 0]
    return stats.chisquare(observed, expected * observed.sum() / expected.sum()).pvalue > 1e-3


# -- samplers against scipy.stats and the exact laws -------------------------------------------
def test_the_fast_laplace_sampler_is_laplace():
    x = laplace(RNG, 3.0, 200_000)
    assert stats.kstest(x, stats.laplace(scale=3.0).cdf).pvalue > 1e-3


def test_noisy_histograms_add_laplace_of_the_right_scale():
    for name, scale in (("NoisyHist1", 10.0), ("NoisyHist2", 0.1)):
        m, d, y = draw(name)
        for j in (0, 3):
            assert stats.kstest(y[:, j] - d[j], stats.laplace(scale=scale).cdf).pvalue > 1e-3


def test_prefix_sums_are_cumulative_noisy_entries():
    m, d, y = draw("PrefixSum")
    z = np.diff(y, axis=1, prepend=0.0) - d
    assert stats.kstest(z[:, 7], stats.laplace(scale=10.0).cdf).pvalue > 1e-3


@pytest.mark.parametrize("name", ["ReportNoisyMax1", "ReportNoisyMax2"])
def test_noisy_max_indices_follow_their_integrated_law(name):
    m, d, y = draw(name)
    assert chi_square_agrees(np.bincount(y, minlength=5), m._index_pmf(d))


def test_noisy_max_values_follow_the_law_of_a_maximum():
    m, d, y = draw("ReportNoisyMax3", world=1)
    law = stats.laplace(scale=20.0)  # max of five iid: F⁵
    assert stats.kstest(y - 1.0, lambda v: law.cdf(v) ** 5).pvalue > 1e-3


def test_the_truncated_geometric_draws_its_exact_table():
    m, d, y = draw("TruncatedGeometric")
    assert chi_square_agrees(np.bincount(y, minlength=6), m.pmf(2))
    assert m.pmf(2).sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("name", ["SparseVectorTechnique1", "SparseVectorTechnique2", "SparseVectorTechnique4"])
def test_sparse_vector_answers_follow_the_law_of_the_first_answer_above(name):
    m, d, y = draw(name)
    above = (y == 1)
    first = np.where(above.any(axis=1), above.argmax(axis=1), y.shape[1])
    r, w = m._grid(d, d)
    assert chi_square_agrees(np.bincount(first, minlength=11), m._first_above_pmf(d, r, w))
    assert ((y == -1) == (np.cumsum(above, axis=1) - above >= 1)).all()  # aborted after the first


def test_rappor_bits_are_randomized_responses_of_the_bloom_filter():
    m, d, y = draw("Rappor")
    bloom = np.zeros(20, bool)
    bloom[[mmh3.hash("1", seed=i) % 20 for i in range(4)]] = True
    p1, q1 = 0.375 + 0.25 * 0.45, 0.375 + 0.25 * 0.55  # f/2·(p+q) + (1−f)·p or q
    rates = y.mean(axis=0)
    sd = np.sqrt(0.25 / len(y))
    assert np.all(np.abs(rates - np.where(bloom, q1, p1)) < 5 * sd)


# -- exact ε: closed forms from the papers, not from the computations above ---------------------
def test_exact_epsilons_match_the_closed_forms():
    eps = 0.1

    def exact(name):
        m = SUITE[name](eps)
        return m.exact(np.array(m.PAIR[0]), np.array(m.PAIR[1]))

    assert exact("NoisyHist1") == pytest.approx(eps)
    assert exact("NoisyHist2") == pytest.approx(1 / eps)  # scale ε, one bin moved by 1
    assert exact("PrefixSum") == pytest.approx(10 * eps)  # ten entries moved by 1
    assert exact("LaplaceParallel") == pytest.approx(eps)  # 20 releases at ε/20
    assert exact("ReportNoisyMax3") == pytest.approx(5 * eps / 2, rel=1e-6)  # max of 5 in the left tail
    assert exact("ReportNoisyMax4") == math.inf and exact("SparseVectorTechnique5") == math.inf
    k = math.ceil(math.log(2 / eps))
    assert exact("TruncatedGeometric") <= math.log(1 + 2.0**-k) + 1e-12  # Balcer & Vadhan, Thm 4.7
    assert exact("SparseVectorTechnique4") <= (1 + 6) / 4 * eps + 1e-9  # Lyu et al.: ((1 + 6c)/4)·ε
    assert exact("SparseVectorTechnique1") <= eps and exact("ReportNoisyMax1") <= eps
    differ = len({mmh3.hash("1", seed=i) % 20 for i in range(4)} ^ {mmh3.hash("0", seed=i) % 20 for i in range(4)})
    assert exact("OneTimeRappor") == pytest.approx(differ * math.log(0.525 / 0.475))
    assert exact("Rappor") == pytest.approx(differ * math.log(0.5125 / 0.4875))
    assert SUITE["Rappor"]().claimed() == pytest.approx(4 * 2 * math.log(0.5125 / 0.4875))


def test_every_suite_mechanism_has_dp_snipers_bound_and_runs_vectorised():
    assert set(SNIPER) == set(SUITE)
    for name in SUITE:
        m, d, y = draw(name, size=64)
        assert len(y) == 64 and np.isfinite(y).all()


# -- the auditor on the suite ------------------------------------------------------------------
def audit(name, trials=200_000, *extra):
    s = run_experiment("audit_suite", [f"mechanism.name={name}", f"trials={trials}", *extra])
    return s.summary.set_index("metric")


@pytest.mark.parametrize("name", ["NoisyHist1", "ReportNoisyMax1", "SparseVectorTechnique1", "LaplaceParallel",
                                  "OneTimeRappor"])
def test_correct_mechanisms_are_within_their_claim(name):
    row = audit(name).loc["epsilon_lb"]
    assert row.agreement in ("within", "agrees") and row.value <= SUITE[name](0.1).claimed()


@pytest.mark.parametrize("name,at_least", [("NoisyHist2", 4.6), ("SparseVectorTechnique5", 4.6),
                                           ("ReportNoisyMax4", 0.15), ("SparseVectorTechnique6", 0.11)])
def test_broken_mechanisms_are_caught_above_dp_snipers_cap(name, at_least):
    s = audit(name)
    row = s.loc["epsilon_lb"]
    assert row.agreement == "violates" and row.value > at_least
    assert s.loc["epsilon_dpsniper", "value"] == pytest.approx(SNIPER[name])


def test_the_bound_stays_below_the_exact_epsilon_and_comes_close():
    row = audit("NoisyHist2", 2_000_000).loc["epsilon_lb"]
    assert 0.9 * 10 < row.value <= row.expected == 10.0


def test_a_pair_from_the_config_and_a_searched_pair():
    given = audit("NoisyHist1", 100_000, "+adversary.pair=[[1,1,1,1,1],[1,1,1,1,2]]")
    assert given.loc["epsilon_lb", "expected"] == pytest.approx(0.1)
    searched = audit("SparseVectorTechnique5", 100_000, "adversary.pair=search", "adversary.search_trials=5000")
    assert searched.loc["epsilon_lb", "value"] > 4.6 and searched.loc["pair_index", "value"] >= 0


def test_the_search_tries_statdps_patterns_both_ways():
    pairs = patterns(((1.0,) * 4, (0.0,) * 4))
    assert len(pairs) == 1 + 15  # the given pair, and 16 patterns less the one it repeats
    assert len({(tuple(a), tuple(b)) for a, b in pairs}) == len(pairs)


def test_verdicts_say_violates_within_agrees_or_differs():
    assert bound_verdict(0.3, math.nan, 0.25, claimed=0.1) == "violates"
    assert bound_verdict(0.08, math.nan, 0.07, claimed=0.1) == "within"
    assert bound_verdict(0.08, 0.1, 0.07, claimed=0.1) == "agrees"
    assert bound_verdict(9.7, 68.25, 9.0, claimed=0.25) == "violates"  # not "agrees"
    assert bound_verdict(0.3, 0.2, 0.28, claimed=1.0) == "differs"
    assert bound_verdict(0.3, math.nan, None) is None


def test_trials_needed_is_the_fewest_that_can_certify_the_claim():
    from simprive.attacks.audit import max_certifiable

    need = trials_needed(4.0, 0.05)
    assert max_certifiable(need // 2) >= 4.0 > max_certifiable(need // 2 - 1)


# -- bad input: one line naming the key, before any work ----------------------------------------
@pytest.mark.parametrize("overrides,key", [
    (["+adversary.pair=[[1,1],[1,1,1]]"], "adversary.pair"),
    (["+adversary.pair=[[0,1,1,1,1],[1,1,1,1,11]]"], "adversary.pair"),
    (["+adversary.pair=[[a,b],[c,d]]"], "adversary.pair"),
    (["mechanism.name=NoSuchMechanism"], "mechanism.name"),
    (["epsilon=0"], "epsilon"),
    (["trials=40", "epsilon=5"], "trials"),
    (["+mechanism.options.z=3"], "mechanism.options.z"),
])
def test_bad_audit_input_is_refused(overrides, key):
    with pytest.raises(ConfigError) as err:
        run_experiment("audit_suite", ["mechanism.name=NoisyHist1", "trials=1000", *overrides])
    assert err.value.key == key


MINE = textwrap.dedent('''
    import numpy as np

    def wrong_shape(data, rng):
        return np.zeros((len(data), 2, 2))

    def not_a_number(data, rng):
        return np.array(["x"] * len(data))

    def nan(data, rng):
        return np.full(len(data), np.nan)

    def raises(data, rng):
        raise RuntimeError("my bug")

    class NoPair:
        def __init__(self, epsilon):
            self.epsilon = epsilon
        def __call__(self, data, rng):
            return data.sum(axis=1) + rng.laplace(0, 1 / self.epsilon, len(data))
''')


@pytest.mark.parametrize("name,says", [("wrong_shape", "shape"), ("not_a_number", "numbers"), ("nan", "NaN"),
                                       ("raises", "my bug"), ("NoPair", "declares no PAIR")])
def test_a_users_broken_mechanism_is_refused_in_one_line(tmp_path, name, says):
    (tmp_path / "mine.py").write_text(MINE)
    pair = [] if name == "NoPair" else ["+adversary.pair=[[0,1],[1,1]]"]
    out = subprocess.run([sys.executable, "-m", "simprive", "experiment=audit_suite", f"mechanism.name=mine:{name}",
                          "trials=1000", *pair, f"hydra.run.dir={tmp_path / 'run'}"],
                         cwd=tmp_path, capture_output=True, text=True, env={"PYTHONPATH": str(tmp_path),
                                                                             "PATH": "/usr/bin:/bin"})
    assert out.returncode == 2 and "Traceback" not in out.stderr and says in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and not (tmp_path / "run" / "summary.csv").exists()


# -- the trade-off curve (f-DP) -----------------------------------------------------------------
def analytic_gaussian_sigma(epsilon, delta, sensitivity=1.0):
    """Balle & Wang (2018), Thm 8: the least σ with Φ(Δ/2σ − εσ/Δ) − e^ε Φ(−Δ/2σ − εσ/Δ) ≤ δ."""
    from scipy.optimize import brentq

    def excess(s):
        a, b = sensitivity / (2 * s), epsilon * s / sensitivity
        return stats.norm.cdf(a - b) - math.exp(epsilon) * stats.norm.cdf(-a - b) - delta
    return brentq(excess, 1e-3, 1e3, xtol=1e-12)


def curve(summary, metric="type2"):
    rows = summary[summary.metric.str.startswith(metric + "[")]
    alpha = rows.metric.str.extract(r"type1=([0-9.e-]+)")[0].astype(float)
    return rows.assign(type1=alpha.to_numpy()).sort_values("type1")


def test_the_gaussians_tradeoff_is_phi_of_phi_inverse_minus_mu():
    s = run_experiment("audit_tradeoff", ["mechanism.kind=analytic_gaussian"]).summary
    mu = 1.0 / analytic_gaussian_sigma(0.5, 1e-5)
    c = curve(s)
    exact = stats.norm.cdf(stats.norm.ppf(1 - c.type1) - mu)
    sd = np.sqrt(exact * (1 - exact) / 200_000) + 1e-4  # β's error, and its threshold's (a little)
    assert (np.abs(c.value - exact) < 5 * sd + 3e-3).all()
    assert (c.agreement == "agrees").all() and np.allclose(c.expected, exact, atol=1e-9)


def test_the_claimed_tradeoff_is_the_least_an_epsilon_delta_mechanism_allows():
    s = run_experiment("audit_tradeoff", ["mechanism.kind=laplace", "trials=20000"]).summary
    c = curve(s, "type2_claimed")
    a, e = c.type1.to_numpy(), 0.5  # Laplace claims δ = 0
    assert np.allclose(c.value, np.maximum.reduce([0 * a, 1 - math.exp(e) * a, math.exp(-e) * (1 - a)]), atol=1e-12)
    t = curve(s)  # Laplace: ε-DP exactly, its optimal curve touches the claimed one at α = e^−ε/2 … below 1/2
    assert (t.value.to_numpy() >= c.value.to_numpy() - 0.02).all()


def test_a_broken_mechanisms_tradeoff_falls_below_its_claim():
    s = run_experiment("audit_tradeoff", ["mechanism.kind=broken_laplace_scale", "trials=100000"]).summary
    below = curve(s, "type2_claimed").value.to_numpy() - curve(s).value.to_numpy()
    assert below.max() > 0.3  # far beyond the 50,000 counting runs' error (~0.005)


def test_a_suite_mechanism_has_a_tradeoff_without_an_exact_curve():
    s = run_experiment("audit_suite", ["mechanism.name=ReportNoisyMax3", "trials=100000",
                                       "adversary.tradeoff=true"]).summary
    c = curve(s)
    assert len(c) == 18 and c.expected.isna().all() and c.value.is_monotonic_decreasing


def test_tradeoff_must_be_a_boolean():
    with pytest.raises(ConfigError) as err:
        run_experiment("audit_tradeoff", ["adversary.tradeoff=sometimes"])
    assert err.value.key == "adversary.tradeoff"


def test_a_curves_points_unfold_into_a_column_for_the_figure():
    import pandas as pd

    from simprive.figures import unfold
    rows = pd.DataFrame({"metric": ["type2[type1=0.05]", "type2[type1=0.5]", "epsilon_lb"], "value": [0.9, 0.3, 1.0]})
    out = unfold(rows)
    assert list(out.metric) == ["type2", "type2", "epsilon_lb"] and out.type1.iloc[:2].tolist() == [0.05, 0.5]
    assert math.isnan(out.type1.iloc[2])


@pytest.mark.slow
def test_correct_mechanisms_stay_within_their_claim_in_95_percent_of_100_seeds():
    seeds = ",".join(map(str, range(100)))
    s = run_experiment("audit_suite", ["mechanism.name=[Laplace,NoisyHist1,ReportNoisyMax2]", f"seed=[{seeds}]",
                                       "trials=50000"]).summary
    lb = s[s.metric == "epsilon_lb"]
    assert len(lb) == 300
    within = (lb.value <= 0.1).groupby(lb["mechanism.name"]).mean()
    assert (within >= 0.95).all(), within
    assert lb.groupby("mechanism.name").value.mean().min() > 0.04  # not sound by certifying nothing


# -- the kind of output is read off the pair audited, whichever gave it --------------------------
ODD = textwrap.dedent('''
    import numpy as np

    def middle(data, rng):
        """On D (sum 0) uniform on 0..4; on D' (sum 1) the middle value e times likelier: only
        its frequency betrays it, no threshold on the value does (exact epsilon 1)."""
        y = rng.integers(0, 5, len(data))
        heavy = rng.random(len(data)) < (0.2 * np.e - 0.2) / 0.8
        return np.where((data.sum(axis=1) > 0) & heavy, 2, y)

    class Records:
        """Each dataset is 3 records of 2 features; the output is their noisy column sums."""
        PAIR = (np.zeros((3, 2)), np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]]))

        def __init__(self, epsilon):
            self.epsilon = epsilon

        def __call__(self, data, rng):
            sums = data.sum(axis=1)
            return sums + rng.laplace(0, 1 / self.epsilon, sums.shape)

        def exact(self, d0, d1):
            return self.epsilon * np.abs(d0 - d1).sum()
''')


@pytest.fixture
def odd(tmp_path, monkeypatch):
    (tmp_path / "odd.py").write_text(ODD)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    sys.modules.pop("odd", None)


def test_integer_outputs_on_a_pair_from_the_config_are_counted_as_discrete(odd):
    s = audit("odd:middle", 200_000, "epsilon=1", "+adversary.pair=[[0,0],[0,1]]").loc["epsilon_lb"]
    assert 0.85 < s.value <= 1.0  # the best threshold on the value certifies at most ln(0.4/0.228) = 0.56


def test_datasets_of_records_with_several_features(odd):
    s = audit("odd:Records", 200_000, "epsilon=0.5").loc["epsilon_lb"]
    assert s.expected == 0.5 and 0.4 < s.value <= 0.5 and s.agreement == "agrees"
    searched = audit("odd:Records", 40_000, "epsilon=0.5", "adversary.pair=search", "adversary.search_trials=4000")
    # the patterns move entries, not records: the pair found is further apart than neighbours, and its
    # bound is checked against that pair's own exact ε
    row = searched.loc["epsilon_lb"]
    assert searched.loc["pair_index", "value"] > 0 and row.value <= row.expected and row.expected > 0.5


def test_the_binned_scores_one_search_equals_the_cells_weights():
    from simprive.attacks.distinguish import _cells, _step_lookup

    rng = np.random.default_rng(1)
    for _ in range(50):
        atoms = np.unique(rng.choice([-1000.0, 0.0, 3.0, 1.0, 0.5], rng.integers(0, 4)))
        v = np.where(rng.random(10_000) < 0.3, rng.choice(np.r_[atoms, 0.5], 10_000), rng.normal(size=10_000))
        edges = np.unique(np.r_[np.quantile(v, rng.random(rng.integers(0, 6))), atoms[:1]])  # a marker on an edge
        w = rng.normal(size=len(atoms) + len(edges) + 1)
        assert np.array_equal(w[_cells(v, atoms, edges)], _step_lookup(atoms, edges, w)(v))
