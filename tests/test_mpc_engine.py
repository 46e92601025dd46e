"""The computing-party engine (Beaver multiplication, binary circuits, comparison, argmax)
and the cost ledger / network model."""

import numpy as np
import pytest
from scipy import stats

from simprive.mpc.engine import Engine
from simprive.mpc.ledger import NETWORKS, Ledger, Network
from simprive.mpc.voting import threshold_vote

U = np.uint64
M64 = 1 << 64


def clog2(x: int) -> int:
    return (x - 1).bit_length()


def make(m, seed=0, parties=None, extra=0):
    ledger = Ledger(m + extra)
    return Engine(m, np.random.default_rng(seed), ledger, parties=parties), ledger


def words(rng, shape):
    return rng.integers(0, M64, size=shape, dtype=U, endpoint=False)


def open_add(shares):
    return shares.sum(axis=-1, dtype=U)


def open_xor(shares):
    return np.bitwise_xor.reduce(shares, axis=-1)


def signed(v):
    return np.asarray(v, U).astype(np.int64)


def top32(v):
    return (np.asarray(v, U).ravel() >> U(32)).astype(float)


def ks2(a, b):
    return stats.ks_2samp(a, b, method="asymp").pvalue


# -- sharing primitives ----------------------------------------------------------------------------
@pytest.mark.parametrize("m", [2, 3, 5])
def test_share_xor_share_constant(m):
    eng, ledger = make(m, 1)
    v = words(np.random.default_rng(2), (100, 3))
    assert eng.share(v).shape == (100, 3, m)
    np.testing.assert_array_equal(open_add(eng.share(v)), v)
    np.testing.assert_array_equal(open_xor(eng.xor_share(v)), v)
    c = eng.constant(v)
    np.testing.assert_array_equal(open_add(c), v)
    assert np.all(c[..., 1:] == 0)
    assert ledger.messages == 0 and ledger.rounds == 0  # local operations


# -- Beaver multiplication ----------------------------------------------------------------------------
@pytest.mark.parametrize("m", [2, 3, 4, 7])
def test_mul_is_product_mod_2_64(m):
    rng = np.random.default_rng(3)
    eng, ledger = make(m, 4)
    x = np.concatenate([words(rng, 1000), np.array([0, 1, 2**64 - 1, 2**63, 2**32], U)])
    y = np.concatenate([words(rng, 1000), np.array([2**64 - 1, 2**64 - 1, 2**64 - 1, 2, 2**32], U)])
    z = eng.mul(eng.share(x), eng.share(y))
    expect = ((x.astype(object) * y.astype(object)) % M64).astype(U)
    np.testing.assert_array_equal(open_add(z), expect)
    # one multiplication: one round, every party sends to every other once (d and e together)
    assert ledger.rounds == 1
    assert ledger.messages == m * (m - 1)
    assert ledger.total_bytes == m * (m - 1) * 2 * 8
    assert ledger.offline_bytes == 3 * m * 8  # a triple (a, b, c): one word each, per party


def test_mul_vector_costs_scale_with_elements():
    eng, ledger = make(3, 5)
    x = words(np.random.default_rng(6), (10, 4))
    eng.mul(eng.share(x), eng.share(x))
    assert ledger.rounds == 1 and ledger.messages == 6
    assert ledger.total_bytes == 6 * 2 * 4 * 8  # per trial: 4 elements, d and e


@pytest.mark.parametrize("m", [2, 3, 5])
def test_and_is_bitwise_and(m):
    rng = np.random.default_rng(7)
    eng, ledger = make(m, 8)
    x, y = words(rng, 2000), words(rng, 2000)
    np.testing.assert_array_equal(open_xor(eng.and_(eng.xor_share(x), eng.xor_share(y))), x & y)
    assert ledger.rounds == 1 and ledger.messages == m * (m - 1)


# -- circuits -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("m", [2, 3])
def test_add_binary_is_addition_mod_2_64(m):
    rng = np.random.default_rng(9)
    eng, ledger = make(m, 10)
    u = np.concatenate([words(rng, 3000), np.array([2**64 - 1, 2**64 - 1, 0, 2**63, 0x5555555555555555], U)])
    v = np.concatenate([words(rng, 3000), np.array([1, 2**64 - 1, 0, 2**63, 0xAAAAAAAAAAAAAAAB], U)])
    s = eng.add_binary(eng.xor_share(u)[:, None], eng.xor_share(v)[:, None])[:, 0]
    np.testing.assert_array_equal(open_xor(s), u + v)  # numpy wraps mod 2^64
    assert ledger.rounds == 7


@pytest.mark.parametrize("m", [2, 3, 4, 5, 8])
def test_a2b_bit_decomposition(m):
    rng = np.random.default_rng(11)
    eng, ledger = make(m, 12)
    x = np.concatenate([words(rng, 2000), np.array([0, 2**64 - 1, 2**63], U)])
    b = eng.a2b(eng.share(x))
    np.testing.assert_array_equal(open_xor(b), x)
    assert ledger.rounds == 7 * clog2(m)


@pytest.mark.parametrize("m", [2, 3, 4])
def test_b2a(m):
    rng = np.random.default_rng(13)
    eng, ledger = make(m, 14)
    bits = rng.integers(0, 2, 2000, dtype=U)
    a = eng.b2a(eng.xor_share(bits))
    np.testing.assert_array_equal(open_add(a), bits)
    assert ledger.rounds == 1 and ledger.messages == m * (m - 1)
    assert ledger.offline_bytes == 2 * m * 8


@pytest.mark.parametrize("m", [2, 3, 4, 5])
def test_less_than(m):
    rng = np.random.default_rng(15)
    eng, ledger = make(m, 16)
    big = 1 << 62
    x = rng.integers(-big, big, 3000)
    y = rng.integers(-big, big, 3000)
    x[:5], y[:5] = [0, 5, -1, big - 1, -big], [0, 6, -1, -big, big - 1]  # equal, adjacent, extremes
    x[5:100] = y[5:100]  # many ties
    x[100:200] = y[100:200] - 1
    lt = eng.less_than(eng.share(x.astype(U)), eng.share(y.astype(U)))
    np.testing.assert_array_equal(open_add(lt), (x < y).astype(U))
    c = clog2(m)
    assert ledger.rounds == 7 * c + 1
    assert ledger.messages == (7 * c + 1) * m * (m - 1)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9])
@pytest.mark.parametrize("m", [2, 3, 4])
def test_argmax_values_index_and_rounds(n, m):
    rng = np.random.default_rng(100 * n + m)
    eng, ledger = make(m, 17)
    vals = rng.integers(0, 4, (300, n))  # small range: plenty of ties
    vals[0] = 7
    top, idx = eng.argmax(eng.share(vals.astype(U)))
    np.testing.assert_array_equal(open_add(top), vals.max(axis=1).astype(U))
    np.testing.assert_array_equal(open_add(idx), vals.argmax(axis=1).astype(U))  # first on ties
    c = clog2(m)
    assert ledger.rounds == clog2(n) * (7 * c + 2)


def test_argmax_large_values():
    rng = np.random.default_rng(18)
    eng, _ = make(2, 19)
    vals = rng.integers(0, 1 << 62, (500, 6))
    top, idx = eng.argmax(eng.share(vals.astype(U)))
    np.testing.assert_array_equal(open_add(top), vals.max(axis=1).astype(U))
    np.testing.assert_array_equal(open_add(idx), vals.argmax(axis=1).astype(U))


# -- communication accounting -------------------------------------------------------------------------
def test_input_and_reveal_costs():
    # 4 input parties (0..3) share 2-element rows with 3 computing parties (4..6); 7 receives
    eng, ledger = make(3, 20, parties=4 + np.arange(3), extra=5)
    x = words(np.random.default_rng(21), (6, 4, 2))
    sh = eng.input(x, np.arange(4))
    np.testing.assert_array_equal(open_add(sh), x)
    assert ledger.rounds == 1 and ledger.messages == 12 and ledger.total_bytes == 12 * 2 * 8
    assert ledger.messages_received[4:7].tolist() == [4, 4, 4]
    out = eng.reveal_to(sh[:, 0], 7)
    np.testing.assert_array_equal(out, x[:, 0])
    assert ledger.rounds == 2 and ledger.messages_received[7] == 3


def test_input_owner_among_computing_parties_sends_no_message_to_itself():
    eng, ledger = make(2, 22)
    x = words(np.random.default_rng(23), (5, 1, 3))
    eng.input(x, [0])
    eng.input(x, [1], new_round=False)
    assert ledger.rounds == 1 and ledger.messages == 2
    assert ledger.messages_sent.tolist() == [1, 1]
    eng.reveal_to(eng.share(x[:, 0]), 0)
    assert ledger.messages_sent.tolist() == [1, 2]


def test_opened_values_recorded_only_when_asked():
    eng, _ = make(2, 24)
    x = eng.share(np.arange(10, dtype=U))
    eng.mul(x, x)
    assert [label for label, _ in eng.opened] == ["beaver", "beaver"]
    quiet = Engine(2, np.random.default_rng(0), Ledger(2), record=False)
    quiet.mul(x, x)
    assert quiet.opened == []


# -- opened values are uniform and independent of the inputs -------------------------------------------
def test_beaver_opened_values_independent_of_inputs():
    T = 20000
    opened = []
    for x in (0, 2**63 + 12345):
        eng, _ = make(3, 25)
        eng.mul(eng.share(np.full(T, x, U)), eng.share(np.full(T, 7, U)))
        opened.append(eng.opened)
    for (la, a), (lb, b) in zip(*opened):
        assert la == lb == "beaver"
        assert ks2(top32(a), top32(b)) > 1e-3
        assert stats.kstest(top32(a) / 2**32, "uniform").pvalue > 1e-3


def test_comparison_opened_values_independent_of_inputs():
    """less_than on x < y versus x > y: every opened word (AND-gate masks) and the B2A bit
    has one distribution whatever the comparison's outcome."""
    T = 4000
    runs = []
    for x, y in ((-5, 2**61), (2**61, -5)):
        eng, _ = make(2, 26)
        out = eng.less_than(eng.share(np.full(T, x, np.int64).astype(U)), eng.share(np.full(T, y, np.int64).astype(U)))
        assert np.all(open_add(out) == (x < y))
        runs.append(eng.opened)
    assert len(runs[0]) == len(runs[1]) == 2 * 7 + 1
    pvals = []
    for (la, a), (lb, b) in zip(*runs):
        assert la == lb
        if la == "b2a":
            assert set(np.unique(a)) <= {0, 1} and set(np.unique(b)) <= {0, 1}
            pvals.append(stats.chi2_contingency([np.bincount(a.ravel().astype(int), minlength=2),
                                                 np.bincount(b.ravel().astype(int), minlength=2)]).pvalue)
        else:
            pvals.append(ks2(top32(a), top32(b)))
            lo = (a.ravel() & U(0xFFFFFFFF)).astype(float)  # low bits too (the carries live there)
            pvals.append(ks2(lo, (b.ravel() & U(0xFFFFFFFF)).astype(float)))
    assert min(pvals) > 1e-4  # ~45 tests at one fixed seed


def test_threshold_vote_server_views_independent_of_votes():
    """The opened_* entries of a computing party's view: the same distribution for an
    all-NO and an all-YES electorate."""
    T, n = 4000, 5
    views = [threshold_vote(np.full((T, n), v), np.random.default_rng(27), servers=2).view(n) for v in (0, 1)]
    keys = [k for k in views[0] if k.startswith("opened_")]
    assert keys and keys == [k for k in views[1] if k.startswith("opened_")]
    pvals = []
    for k in keys:
        a, b = views[0][k], views[1][k]
        if k.endswith("b2a"):
            pvals.append(stats.chi2_contingency([np.bincount(a.ravel().astype(int), minlength=2),
                                                 np.bincount(b.ravel().astype(int), minlength=2)]).pvalue)
        else:
            pvals.append(ks2(top32(a), top32(b)))
    assert min(pvals) > 1e-4


# -- ledger and network --------------------------------------------------------------------------------
def test_ledger_send_all_to_all_merge():
    L = Ledger(4)
    L.all_to_all([0, 1, 2], 10)
    assert L.messages == 6 and L.total_bytes == 60 and L.messages_sent.tolist() == [2, 2, 2, 0]
    L.send(3, [0, 1], [5, 7])
    assert L.bytes_sent[3] == 12 and L.bytes_received.tolist() == [25, 27, 20, 0]
    L.round(2)
    with pytest.raises(ValueError):
        L.send(1, 1, 8)
    other = Ledger(2, rounds=3, offline_bytes=11)
    other.send(0, 1, 100)
    L.merge(other, offset=2)
    assert L.rounds == 5 and L.offline_bytes == 11
    assert L.bytes_sent.tolist() == [20, 20, 120, 12] and L.bytes_received.tolist() == [25, 27, 20, 100]


@pytest.mark.parametrize("parties", [[0, 1], [0, 2, 3], list(range(7))])
def test_all_to_all_counts_what_sending_every_message_counts(parties):
    counted, sent = Ledger(7), Ledger(7)
    counted.all_to_all(parties, 8)
    for i in parties:
        for j in parties:
            if i != j:
                sent.send(i, j, 8)
    for name in ("messages_sent", "messages_received", "bytes_sent", "bytes_received"):
        assert getattr(counted, name).tolist() == getattr(sent, name).tolist()


def test_network_seconds_formula():
    L = Ledger(3)
    L.send([0, 0, 1], [1, 2, 2], [1000, 3000, 500])
    L.round(4)
    busiest = max(4000, 3500)  # party 0 sends 4000, party 2 receives 3500
    for net in (Network("x", latency=0.01, bandwidth=1e6), NETWORKS["lan"], NETWORKS["wan"]):
        assert net.seconds(L) == pytest.approx(4 * net.latency + 8 * busiest / net.bandwidth, rel=1e-12)
    assert NETWORKS["lan"].latency == 0.25e-3 and NETWORKS["lan"].bandwidth == 1e9
    assert NETWORKS["wan"].latency == 40e-3 and NETWORKS["wan"].bandwidth == 100e6
    s = L.summary()
    assert s["messages"] == 3 and s["bytes"] == 4500 and s["rounds"] == 4 and s["max_party_bytes"] == 4000
    assert s["seconds_wan"] == pytest.approx(4 * 40e-3 + 8 * 4000 / 100e6)
    assert Network("y", 1.0, 1.0).seconds(Ledger(2)) == 0.0
