"""Secure aggregation with dropouts (simprive.mpc.secagg) and its release (simprive.releases.secagg)."""

import math

import numpy as np
import pytest
from helpers import assert_agrees, exits_in_process
from scipy import stats

from simprive import run_experiment
from simprive.mpc.psi import ORDER, SAFE_PRIME, powmod
from simprive.mpc.secagg import (
    ROUNDS,
    SHARE_PRIME,
    agreed_key,
    lagrange_at_zero_batch,
    neighbours,
    secure_aggregation,
    shamir_points,
    traffic,
    unmask,
)
from simprive.releases.secagg import cost_closed_form


def survivors_sum(x, run, bits):
    return (x * run.alive[2][..., None]).sum(axis=1) % (1 << bits)


# -- the protocol -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("n, k, t, dropout", [
    (3, None, 2, 0.0), (5, None, 3, 0.3), (12, 4, 3, 0.2),
    (20, None, 11, {"advertise_keys": 0.05, "share_keys": 0.05, "masked_input": 0.2, "unmasking": 0.05}),
    (30, 6, 4, 0.1), (8, 6, 5, dict.fromkeys(ROUNDS, 0.1)), (16, None, 16, 0.0)])
def test_server_output_is_the_survivors_modular_sum(n, k, t, dropout):
    rng = np.random.default_rng(n * 100 + t)
    x = rng.integers(-2000, 2000, size=(300, n, 3))
    run = secure_aggregation(x, rng, bits=12, k=k, t=t, dropout=dropout)
    ok = ~run.failed
    assert ok.sum() > 100
    assert np.array_equal(run.output[ok], survivors_sum(x, run, 12)[ok])


def test_a_single_masked_input_is_uniform_whatever_the_input():
    """What the server sees of one client is uniform on Z_{2^bits} and independent of its
    input: two inputs far apart give the same law (chi-square against uniform)."""
    rng = np.random.default_rng(7)
    for value in (0, 9):
        x = np.zeros((20000, 4, 1), np.int64)
        x[:, 0] = value
        seen = secure_aggregation(x, rng, bits=4, t=3).masked[:, 0, 0]
        assert stats.chisquare(np.bincount(seen.astype(int), minlength=16)).pvalue > 1e-4


def test_failure_is_exactly_fewer_than_t_answers():
    """SecAgg (everyone holds a share of every secret) fails when, and only when, fewer than
    t clients answer the unmasking round."""
    rng = np.random.default_rng(3)
    run = secure_aggregation(rng.integers(0, 9, size=(4000, 6, 1)), rng, bits=8, t=4,
                             dropout=dict.fromkeys(ROUNDS, 0.1))
    assert np.array_equal(run.failed, run.alive[3].sum(axis=1) < 4)
    p = stats.binom.cdf(3, 6, 0.9**4)
    assert stats.binomtest(int(run.failed.sum()), 4000, p).pvalue > 1e-6


def test_agreed_key_is_the_diffie_hellman_key_each_side_computes():
    """g^{s_u s_v} from the exponents equals (g^{s_v})^{s_u}, a true exponentiation, both ways."""
    rng = np.random.default_rng(11)
    su, sv = rng.integers(1, ORDER, size=(2, 500), dtype=np.uint64)
    g = np.full(500, 4, np.uint64)
    pk_u, pk_v = powmod(g, su), powmod(g, sv)
    assert np.array_equal(agreed_key(su, sv), powmod(pk_v, su))
    assert np.array_equal(agreed_key(su, sv), powmod(pk_u, sv))
    assert all(pow(int(a), ORDER, SAFE_PRIME) == 1 for a in agreed_key(su, sv)[:20])  # in the order-q group


def test_lagrange_coefficients_rebuild_a_polynomial_at_zero():
    """Python integers, independently: a random polynomial's value at 0 from t of its points."""
    rng = np.random.default_rng(5)
    t, p = 7, SHARE_PRIME
    coeffs = [int(c) for c in rng.integers(0, p, size=t)]
    points = np.array([[3, 9, 1, 14, 2, 30, 11]])
    lam = lagrange_at_zero_batch(points)[0]
    values = [sum(c * pow(int(x), j, p) for j, c in enumerate(coeffs)) % p for x in points[0]]
    assert sum(int(a) * v for a, v in zip(lam, values)) % p == coeffs[0]


def test_fewer_than_t_shares_are_uniform():
    """t − 1 shares of a secret are uniform whatever the secret: the shares client 0 holds
    of client 1's b seed's low limb, for two fixed seeds (drawn in the protocol; here the
    shares of the first t − 1 holders, for secrets 0 and the largest limb)."""
    from simprive.mpc.secagg import _share

    rng = np.random.default_rng(9)
    points = shamir_points(5, 4)[1]
    for secret in (0, (1 << 19) - 1):
        shares = _share(np.full((40000, 1), secret), 3, points, rng)[:, 0, :2]  # t − 1 = 2 shares
        cells = (shares * 16 // SHARE_PRIME).astype(int)  # 16 × 16 cells of the pair
        assert stats.chisquare(np.bincount(cells[:, 0] * 16 + cells[:, 1], minlength=256)).pvalue > 1e-4


def test_ring_is_symmetric_and_full_graph_is_everyone():
    nbr = neighbours(11, 4)
    assert all(u in nbr[v] for u in range(11) for v in nbr[u])
    assert sorted(neighbours(6, 5)[2]) == [0, 1, 3, 4, 5]


# -- the attacks --------------------------------------------------------------------------------------------
def test_t_pooled_shares_unmask_a_client_and_fewer_do_not():
    rng = np.random.default_rng(21)
    n, t, d = 9, 5, 3
    x = rng.integers(0, 1000, size=(200, n, d))
    run = secure_aggregation(x, rng, bits=16, t=t)
    for pooled, recovered in ((t, True), (t - 1, False)):
        chosen = np.zeros((200, n), bool)
        chosen[:, n - pooled:] = True  # the last clients' shares of client 0's secrets
        got, enough = unmask(run, 0, chosen, chosen, t=t, bits=16)
        assert np.all(enough == recovered)
        assert np.mean(np.all(got == x[:, 0], axis=1)) == (1.0 if recovered else 0.0)


@pytest.mark.parametrize("colluders, exact", [(9, 0.0), (10, 0.9), (15, 0.9)])
def test_coalition_preset_recovers_at_the_threshold(colluders, exact):
    """t = 10 of 20: the server and 9 clients learn nothing of client 0, 10 unmask it
    whenever it sent its input; subtracting their own noise shares leaves a larger ε."""
    res = run_experiment("secure_aggregation_dropout", [
        "n=20", "trials=300", "mechanism.noise=skellam", "mechanism.dropout=[0.1]", "mechanism.threshold=0.5",
        "adversary=coalition", f"adversary.colluders={colluders}"])
    s = res.summary.set_index("metric")
    assert s.loc["recon_exact", "expected"] == pytest.approx(exact)
    assert s.loc["epsilon_coalition", "value"] > s.loc["epsilon_survivors", "value"]
    assert_agrees(res.summary)


@pytest.mark.parametrize("threshold", [0.3, 0.5])
def test_lying_server_unmasks_when_2t_clients_answer(threshold):
    """Without a consistency round a server that tells t clients client 0 dropped and t
    others that it survived unmasks it: possible only when 2t ≤ the other n − 1 clients."""
    res = run_experiment("secure_aggregation_dropout", [
        "n=20", "trials=300", "mechanism.noise=none", "mechanism.dropout=[0.05]", f"mechanism.threshold={threshold}",
        "adversary=lying_server"])
    s = res.summary.set_index("metric")
    assert (s.loc["recon_exact", "value"] > 0.5) == (threshold == 0.3)
    assert_agrees(res.summary)


@pytest.mark.parametrize("noise", ["polya", "skellam"])
def test_auditor_certifies_no_more_than_the_survivors_epsilon(noise):
    """The distinguishing game on real runs of the protocol (client 0's input 0 or Δ): the
    certified ε stays below the ε the noise is proven to give, and Pólya's pure ε is nearly
    reached."""
    res = run_experiment("secure_aggregation_dropout", [
        "n=10", "trials=6000", f"mechanism.noise={noise}", "mechanism.dropout=[0.0]", "adversary=auditor"])
    s = res.summary.set_index("metric")
    assert s.loc["epsilon_lb", "value"] <= s.loc["epsilon_survivors", "value"] == pytest.approx(1.0)
    if noise == "polya":
        assert s.loc["epsilon_lb", "value"] > 0.5
    assert_agrees(res.summary)


# -- the ledger ---------------------------------------------------------------------------------------------
def test_ledger_without_dropouts_is_the_papers_count():
    """Bonawitz et al. §7.1: a client sends and receives 2n·a_K + (5n − 4)·a_S + m·R bits."""
    n, d, bits = 9, 5, 13
    rng = np.random.default_rng(1)
    run = secure_aggregation(rng.integers(0, 5, size=(3, n, d)), rng, bits=bits, t=5)
    per_client = run.sent + run.received
    paper = (2 * n * 256 + (5 * n - 4) * 256) // 8 + math.ceil(d * bits / 8)
    assert np.all(per_client == paper)
    assert cost_closed_form(n, n - 1, dim=d, bits=bits, key_bytes=32, share_bytes=32,
                            rates=(0, 0, 0, 0))["client_bytes"] == paper


def test_ledger_with_dropouts_averages_to_its_closed_form():
    n, k, d, bits, rates = 40, 8, 2, 16, (0.1, 0.05, 0.2, 0.1)
    rng = np.random.default_rng(2)
    run = secure_aggregation(rng.integers(0, 5, size=(3000, n, d)), rng, bits=bits, k=k, t=3,
                             dropout=dict(zip(ROUNDS, rates)))
    server = (run.sent + run.received).sum(axis=1)
    want = cost_closed_form(n, k, dim=d, bits=bits, key_bytes=32, share_bytes=32, rates=rates)["server_bytes"]
    assert abs(server.mean() - want) < 5 * server.std() / math.sqrt(len(server))


def test_traffic_prices_plain_numbers_as_the_simulation_counts():
    """The same ledger code with numbers instead of arrays (the scaling preset's route)."""
    sent, received = traffic((1, 1, 1, 1), 7, 7, dim=4, bits=10, key_bytes=32, share_bytes=32)
    rng = np.random.default_rng(4)
    run = secure_aggregation(rng.integers(0, 5, size=(2, 8, 4)), rng, bits=10, t=4)
    assert np.all(run.sent == sent) and np.all(run.received == received)


# -- the presets --------------------------------------------------------------------------------------------
def test_scaling_preset_reproduces_the_papers_expansion(tmp_path):
    res = run_experiment("secure_aggregation_scaling", ["n=[1024,16384]"], out_dir=tmp_path)
    s = res.summary
    rows = s[(s.metric == "expansion") & (s.mechanism == "secagg")].set_index(["n", "scenario.dim"])["value"]
    assert round(rows[(1024, 2**20)], 2) == 1.73
    assert round(rows[(16384, 2**24)], 2) == 1.98
    assert_agrees(s)


# -- bad input ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("args, key", [
    (["mechanism.bits=3"], "mechanism.bits"),
    (["mechanism.threshold=40"], "mechanism.threshold"),
    (["mechanism.dropout=1.0"], "mechanism.dropout"),
    (["mechanism.dropout={nope:0.1}"], "mechanism.dropout"),
    (["mechanism.dropout={unmasking:1.5}"], "mechanism.dropout"),
    (["scenario.dim=0"], "scenario.dim"),
    (["mechanism.l2_clip=0"], "mechanism.l2_clip"),
    (["mechanism.noise=gauss"], "mechanism.noise"),
    (["mechanism=secagg_plus", "mechanism.neighbours=3"], "mechanism.neighbours"),
])
def test_bad_secure_aggregation_input_names_the_key(args, key, tmp_path, monkeypatch, capsys):
    mechanism = [] if any(a.startswith("mechanism=") for a in args) else ["mechanism=secagg"]
    code, err = exits_in_process([*mechanism, "scenario=vectors", "query=sum", "n=20", "trials=5", *args],
                                 tmp_path, monkeypatch, capsys)
    assert code == 2 and key in err and "Traceback" not in err
    assert not any(tmp_path.rglob("summary.csv"))
