"""The MPC protocols: every output equals the plaintext function, costs match their closed
forms, views hold what they should, and bad input stops with a ConfigError."""

from itertools import product

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import expit

from simprive.mpc.auction import MAX_BID, first_price, second_price
from simprive.mpc.inference import FRAC_BITS, linear_score, plaintext_score
from simprive.mpc.psi import ORDER, SAFE_PRIME, dh_psi, hash_to_group
from simprive.mpc.rings import MERSENNE61, Integers, PrimeField, Ring64
from simprive.mpc.sum import client_server_sum, p2p_sum
from simprive.mpc.voting import tally, threshold_vote
from simprive.validation import ConfigError

SUM_RINGS = [PrimeField(), PrimeField(65537), PrimeField(101), Ring64(), Integers()]


def clog2(x: int) -> int:
    return (x - 1).bit_length()


def plain_sum(ring, x):
    if isinstance(ring, Integers):
        return x.sum(axis=1)
    return (x.astype(object).sum(axis=1) % ring.modulus).astype(np.uint64)


def ring_inputs(ring, rng, shape):
    if isinstance(ring, Integers):
        return rng.integers(-5000, 5001, size=shape)
    return ring.random(rng, shape)


# == peer-to-peer sum ====================================================================================
@given(st.sampled_from(SUM_RINGS), st.integers(2, 8), st.integers(1, 40), st.integers(0, 2**32))
def test_p2p_sum_equals_plaintext(ring, n, T, seed):
    rng = np.random.default_rng(seed)
    x = ring_inputs(ring, rng, (T, n))
    run = p2p_sum(x, ring, rng)
    np.testing.assert_array_equal(run.output, plain_sum(ring, x))


def test_p2p_sum_edge_values():
    f = PrimeField()
    x = np.array([[MERSENNE61 - 1] * 5, [0] * 5, [1 << 60] * 5], np.uint64)
    np.testing.assert_array_equal(p2p_sum(x, f, np.random.default_rng(0)).output, plain_sum(f, x))
    r = Ring64()
    x = np.full((2, 4), 2**64 - 1, np.uint64)
    np.testing.assert_array_equal(p2p_sum(x, r, np.random.default_rng(0)).output, plain_sum(r, x))


ARTICLE_SHARES = [[-1000, 2500, 900, 1400], [700, 400, 650, 764], [750, -100, 832, 1500], [1500, 900, -3000, 3990]]
ARTICLE_RAISES = [3800, 2514, 2982, 3390]


def test_article_table_with_chosen_integer_shares():
    run = p2p_sum([ARTICLE_RAISES], Integers(), np.random.default_rng(0), shares=[ARTICLE_SHARES])
    assert [int(run.view(j)["partial"][0]) for j in range(4)] == [1950, 3700, -618, 7654]
    assert int(run.output[0]) == 12686
    assert run.output[0] / 4 == 3171.5
    v1 = run.view(1)
    assert v1["received_shares"][0].tolist() == [2500, -100, 900]  # column 1 without its own row
    assert v1["own_shares"][0].tolist() == [700, 400, 650, 764]
    assert v1["received_partials"][0].tolist() == [1950, -618, 7654]


def test_article_raises_with_field_and_random_shares():
    f = PrimeField()
    for seed in range(5):
        run = p2p_sum(f.encode([ARTICLE_RAISES] * 10), f, np.random.default_rng(seed))
        assert f.decode(run.output).tolist() == [12686] * 10
        assert f.decode(run.output)[0] / 4 == 3171.5
    run = p2p_sum([ARTICLE_RAISES] * 10, Integers(), np.random.default_rng(0))
    assert run.output.tolist() == [12686] * 10


@pytest.mark.parametrize("ring", SUM_RINGS, ids=lambda r: r.name)
@pytest.mark.parametrize("n", [2, 3, 4, 7, 10])
def test_p2p_sum_ledger(ring, n):
    run = p2p_sum(ring_inputs(ring, np.random.default_rng(0), (3, n)), ring, np.random.default_rng(1))
    L = run.ledger
    assert L.messages == 2 * n * (n - 1) and L.rounds == 2
    assert L.total_bytes == 2 * n * (n - 1) * ring.element_bytes
    assert L.offline_bytes == 0
    np.testing.assert_array_equal(L.messages_sent, 2 * (n - 1))
    np.testing.assert_array_equal(L.messages_received, 2 * (n - 1))
    np.testing.assert_array_equal(L.bytes_sent, 2 * (n - 1) * ring.element_bytes)
    assert run.roles.inputs == run.roles.computing == run.roles.recipients == tuple(range(n))


def test_p2p_sum_views_hold_exactly_what_each_party_saw():
    f, n, T = PrimeField(), 5, 50
    rng = np.random.default_rng(3)
    x = f.random(rng, (T, n))
    run = p2p_sum(x, f, rng)
    views = [run.view(j) for j in range(n)]
    for j, v in enumerate(views):
        others = [i for i in range(n) if i != j]
        assert set(v) == {"input", "own_shares", "received_shares", "received_partials", "partial", "output"}
        np.testing.assert_array_equal(v["input"], x[:, j])
        assert v["own_shares"].shape == (T, n) and v["received_shares"].shape == (T, n - 1)
        np.testing.assert_array_equal(f.sum(v["own_shares"]), x[:, j])  # its own split of its input
        for k, i in enumerate(others):  # what j received from i is what i sent to j
            np.testing.assert_array_equal(v["received_shares"][:, k], views[i]["own_shares"][:, j])
            np.testing.assert_array_equal(v["received_partials"][:, k], views[i]["partial"])
        held = np.concatenate([v["own_shares"][:, j : j + 1], v["received_shares"]], axis=1)
        np.testing.assert_array_equal(v["partial"], f.sum(held))
        np.testing.assert_array_equal(v["output"], run.output)
    coalition = run.views([0, 3])
    assert set(coalition) == {f"P{i}.{k}" for i in (0, 3) for k in views[0]}
    np.testing.assert_array_equal(coalition["P3.input"], x[:, 3])
    np.testing.assert_array_equal(coalition["P0.received_shares"], views[0]["received_shares"])


def _max_abs_corr(received, inputs):
    r = received.astype(float)
    out = 0.0
    for k in range(r.shape[1]):
        for i in range(inputs.shape[1]):
            out = max(out, abs(np.corrcoef(r[:, k], inputs[:, i])[0, 1]))
    return out


@pytest.mark.parametrize("ring", [PrimeField(), PrimeField(65537), Ring64()], ids=lambda r: r.name)
def test_field_shares_uncorrelated_with_any_other_input(ring):
    T, n = 20000, 4
    rng = np.random.default_rng(4)
    x = rng.integers(0, 5001, (T, n))
    run = p2p_sum(ring.encode(x), ring, rng)
    for j in range(n):
        others = [i for i in range(n) if i != j]
        assert _max_abs_corr(run.view(j)["received_shares"], x[:, others]) < 4 / np.sqrt(T)


def test_integer_shares_leak_the_senders_input():
    """The article's plain-integer shares: one of the numbers a party receives carries the
    sender's input in its magnitude."""
    T, n = 20000, 4
    rng = np.random.default_rng(4)
    x = rng.integers(0, 5001, (T, n))
    run = p2p_sum(x, Integers(), rng)
    for j in range(n):
        others = [i for i in range(n) if i != j]
        rec = run.view(j)["received_shares"]
        r = [abs(np.corrcoef(rec[:, k].astype(float), x[:, i])[0, 1]) for k, i in enumerate(others)]
        assert min(r) > 2 * 4 / np.sqrt(T)  # each sender's share to j correlates with its input


def test_p2p_sum_bad_input():
    rng = np.random.default_rng(0)
    f = PrimeField()
    with pytest.raises(ConfigError) as err:
        p2p_sum(np.ones((3, 1), np.uint64), f, rng)
    assert err.value.key == "n"
    with pytest.raises(ConfigError) as err:  # chosen shares that do not add up
        p2p_sum([ARTICLE_RAISES], Integers(), rng, shares=[[[1, 2, 3, 4]] * 4])
    assert err.value.key == "shares"
    with pytest.raises(ConfigError) as err:  # wrong shape
        p2p_sum([ARTICLE_RAISES], Integers(), rng, shares=[ARTICLE_SHARES[:3]])
    assert err.value.key == "shares"


def test_p2p_sum_rejects_values_outside_the_field():
    x = np.array([[2**64 - 1, 2]], np.uint64)
    try:
        run = p2p_sum(x, PrimeField(), np.random.default_rng(0))
    except ConfigError:
        return
    assert int(run.output[0]) == (2**64 - 1 + 2) % MERSENNE61


# == client-server sum ===================================================================================
@given(st.sampled_from(SUM_RINGS), st.integers(1, 7), st.integers(2, 6), st.integers(0, 2**32))
def test_client_server_additive_equals_plaintext(ring, n, m, seed):
    rng = np.random.default_rng(seed)
    x = ring_inputs(ring, rng, (20, n))
    run = client_server_sum(x, ring, rng, servers=m)
    np.testing.assert_array_equal(run.output, plain_sum(ring, x))
    assert run.ledger.messages == n * m + m and run.ledger.rounds == 2
    assert run.ledger.total_bytes == (n * m + m) * ring.element_bytes


@pytest.mark.parametrize("field", [PrimeField(), PrimeField(65537)], ids=lambda f: f.name)
def test_client_server_shamir_with_every_allowed_dropout_count(field):
    rng = np.random.default_rng(5)
    n = 6
    for m in range(2, 7):
        for t in range(m):
            for dropouts in range(m - t):  # up to servers − t − 1
                x = field.random(rng, (15, n))
                run = client_server_sum(x, field, rng, servers=m, t=t, dropouts=dropouts)
                np.testing.assert_array_equal(run.output, plain_sum(field, x))
                L = run.ledger
                assert L.messages == n * m + (m - dropouts) and L.rounds == 2
                assert L.total_bytes == (n * m + m - dropouts) * field.element_bytes
                assert L.messages_received[n + m] == m - dropouts  # the analyst
                assert run.view(n + m)["received_sums"].shape == (15, m - dropouts)
            for dropouts in range(m - t, m):  # past that: refused
                with pytest.raises(ConfigError) as err:
                    client_server_sum(x, field, rng, servers=m, t=t, dropouts=dropouts)
                assert err.value.key == "mechanism.dropouts"


def test_client_server_views_and_roles():
    f, n, m = PrimeField(), 3, 4
    rng = np.random.default_rng(6)
    x = f.random(rng, (10, n))
    run = client_server_sum(x, f, rng, servers=m)
    assert run.roles.inputs == (0, 1, 2) and run.roles.computing == (3, 4, 5, 6) and run.roles.recipients == (7,)
    assert set(run.view(0)) == {"input", "own_shares"}
    assert set(run.view(4)) == {"received_shares", "held_sum"}
    assert set(run.view(7)) == {"received_sums", "output"}
    np.testing.assert_array_equal(f.sum(run.view(1)["own_shares"]), x[:, 1])
    np.testing.assert_array_equal(run.view(5)["held_sum"], f.sum(run.view(5)["received_shares"]))


def _client_server_expected(n, m, d, computing, recipients):
    """Closed-form messages and party count (each message carries one element)."""
    alive = m - d
    inputs_msgs = n * m - (m if computing == "inputs" else 0)  # a computing input party keeps its share
    if recipients == "analyst":
        out_msgs = alive
    elif recipients == "computing":
        out_msgs = alive * (m - 1)
    else:  # every input party
        out_msgs = alive * (n - 1 if computing == "inputs" else n)
    parties = n + (m if computing == "external" else 0) + (recipients == "analyst")
    return inputs_msgs + out_msgs, parties


@pytest.mark.parametrize("computing", ["external", "inputs"])
@pytest.mark.parametrize("recipients", ["analyst", "computing", "inputs"])
@pytest.mark.parametrize("n, m, t, d", [(5, 3, None, 0), (5, 3, 1, 1), (6, 5, 2, 2), (4, 4, 0, 3), (3, 2, None, 0)])
def test_client_server_computing_and_recipients(computing, recipients, n, m, t, d):
    f = PrimeField()
    rng = np.random.default_rng(n * 100 + m * 10 + d)
    x = f.random(rng, (12, n))
    run = client_server_sum(x, f, rng, servers=m, t=t, dropouts=d, computing=computing, recipients=recipients)
    np.testing.assert_array_equal(run.output, plain_sum(f, x))
    messages, parties = _client_server_expected(n, m, d, computing, recipients)
    L = run.ledger
    assert L.parties == parties and L.messages == messages and L.rounds == 2
    assert L.total_bytes == messages * f.element_bytes
    servers = tuple(range(m)) if computing == "inputs" else tuple(range(n, n + m))
    learners = {"analyst": (parties - 1,), "computing": servers, "inputs": tuple(range(n))}[recipients]
    assert run.roles.inputs == tuple(range(n)) and run.roles.computing == servers
    assert run.roles.recipients == learners
    for p in range(parties):
        v = run.view(p)
        expected = set()
        if p < n:
            expected |= {"input", "own_shares"}
        if p in servers:
            expected |= {"received_shares", "held_sum"}
        if p in learners:
            expected |= {"received_sums", "output"}
            np.testing.assert_array_equal(v["output"], run.output)
            assert v["received_sums"].shape == (12, m - d)
        assert set(v) == expected, (p, set(v))
        if p in servers:
            np.testing.assert_array_equal(v["received_shares"][:, 0], run.view(0)["own_shares"][:, servers.index(p)])


def test_client_server_computing_recipients_errors():
    f, rng = PrimeField(), np.random.default_rng(0)
    x = f.random(rng, (2, 3))
    for kwargs, key in (({"computing": "servers"}, "mechanism.computing"),
                        ({"recipients": "everyone"}, "mechanism.recipients"),
                        ({"computing": "inputs", "servers": 4}, "mechanism.servers")):
        with pytest.raises(ConfigError) as err:
            client_server_sum(x, f, rng, **kwargs)
        assert err.value.key == key, kwargs


def test_client_server_errors():
    f, rng = PrimeField(), np.random.default_rng(0)
    x = f.random(rng, (2, 3))
    for kwargs, key in (({"servers": 1}, "mechanism.servers"), ({"dropouts": 1}, "mechanism.dropouts"),
                        ({"servers": 3, "t": 1, "dropouts": 3}, "mechanism.dropouts"),
                        ({"servers": 3, "t": 1, "dropouts": -1}, "mechanism.dropouts"),
                        ({"servers": 3, "t": 1, "dropouts": 2}, "mechanism.dropouts"),
                        ({"servers": 3, "t": -1}, "mechanism.t")):
        with pytest.raises(ConfigError) as err:
            client_server_sum(x, f, rng, **kwargs)
        assert err.value.key == key, kwargs


@pytest.mark.parametrize("t", [3, 4])
def test_client_server_t_at_least_servers_names_t(t):
    f, rng = PrimeField(), np.random.default_rng(0)
    with pytest.raises(ConfigError) as err:
        client_server_sum(f.random(rng, (2, 3)), f, rng, servers=3, t=t)
    assert err.value.key == "mechanism.t"


@pytest.mark.parametrize("ring", [Ring64(), Integers()], ids=lambda r: r.name)
def test_client_server_shamir_needs_a_prime_field(ring):
    rng = np.random.default_rng(0)
    with pytest.raises(ConfigError):
        client_server_sum(ring_inputs(ring, rng, (2, 3)), ring, rng, servers=3, t=1)


# == voting ==============================================================================================
@pytest.mark.parametrize("n, m, k", [(1, 2, 2), (5, 2, 3), (8, 3, 4), (13, 5, 2), (4, 4, 7)])
def test_tally_equals_counts(n, m, k):
    rng = np.random.default_rng(7)
    votes = rng.integers(0, k, (200, n))
    votes[0] = 0  # a unanimous vote
    run = tally(votes, k, rng, servers=m)
    np.testing.assert_array_equal(run.output, np.stack([np.bincount(v, minlength=k) for v in votes]))
    L = run.ledger
    assert L.messages == n * m + m and L.rounds == 2
    assert L.total_bytes == (n * m + m) * k * 8
    assert run.roles.recipients == (n + m,)
    assert set(run.view(0)) == {"input"} and set(run.view(n + m)) == {"output"}
    assert set(run.view(n)) == {"received_shares"}  # a tally opens nothing along the way


def all_votes(n: int) -> np.ndarray:
    return np.array(list(product((0, 1), repeat=n)), dtype=np.int64)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 7, 8])
@pytest.mark.parametrize("m", [2, 3])
def test_threshold_vote_every_ballot_combination(n, m):
    votes = all_votes(n)  # every combination, ties (2·sum == n) included for even n
    run = threshold_vote(votes, np.random.default_rng(n + 10 * m), servers=m)
    expected = (2 * votes.sum(axis=1) >= n).astype(np.int64)
    np.testing.assert_array_equal(run.output, expected)
    if n % 2 == 0:
        assert np.all(run.output[2 * votes.sum(axis=1) == n] == 1)  # a tie is YES


@pytest.mark.parametrize("m", [2, 3, 4, 5])
def test_threshold_vote_ledger_and_random_votes(m):
    rng = np.random.default_rng(20 + m)
    n = 11
    votes = rng.integers(0, 2, (500, n))
    run = threshold_vote(votes, rng, servers=m)
    np.testing.assert_array_equal(run.output, (2 * votes.sum(axis=1) >= n).astype(np.int64))
    c = clog2(m)
    L = run.ledger
    assert L.rounds == 1 + (7 * c + 1) + 1  # input, comparison, reveal
    assert L.messages == n * m + (7 * c + 1) * m * (m - 1) + m
    # views of the computing parties list every opened value
    v = run.view(n)
    opened = [key for key in v if key.startswith("opened_")]
    assert len(opened) == 2 * 7 * c + 1  # two per AND gate of the adders, one for B2A
    assert all(v[key].shape == (500,) or v[key].shape[0] == 500 for key in opened)


def test_threshold_vote_record_false_hides_opened_values():
    run = threshold_vote(all_votes(4), np.random.default_rng(0), servers=2, record=False)
    assert set(run.view(4)) == {"received_shares"}


@pytest.mark.parametrize("votes, k", [([[0, 1, 2]], 2), ([[0, -1]], 2), ([[3, 0]], 3)])
def test_tally_bad_votes(votes, k):
    with pytest.raises(ConfigError) as err:
        tally(votes, k, np.random.default_rng(0))
    assert err.value.key == "votes"


@pytest.mark.parametrize("votes", [[[0, 2, 1]], [[-1, 0]]])
def test_threshold_vote_bad_votes(votes):
    with pytest.raises(ConfigError) as err:
        threshold_vote(votes, np.random.default_rng(0))
    assert err.value.key == "votes"


def test_voting_needs_two_servers():
    for call in (lambda: tally([[0, 1]], 2, np.random.default_rng(0), servers=1),
                 lambda: threshold_vote([[0, 1]], np.random.default_rng(0), servers=1)):
        with pytest.raises(ConfigError) as err:
            call()
        assert err.value.key == "mechanism.servers"


# == auctions ============================================================================================
def second_highest(b):
    return np.sort(b, axis=1)[:, -2]


@given(st.integers(2, 9), st.integers(2, 4), st.sampled_from([3, 1000, MAX_BID]), st.integers(0, 2**32))
def test_auctions_equal_plaintext(n, m, top, seed):
    rng = np.random.default_rng(seed)
    bids = rng.integers(0, top, (40, n))  # top = 3: many ties
    fp = first_price(bids, rng, servers=m)
    np.testing.assert_array_equal(fp.output[:, 0], bids.argmax(axis=1))  # lowest index on ties
    np.testing.assert_array_equal(fp.output[:, 1], bids.max(axis=1))
    sp = second_price(bids, rng, servers=m)
    np.testing.assert_array_equal(sp.output[:, 0], bids.argmax(axis=1))
    np.testing.assert_array_equal(sp.output[:, 1], second_highest(bids))


def test_auction_ties_and_extremes():
    bids = np.array([[5, 5, 5], [0, 0, 0], [1, 7, 7], [MAX_BID - 1, 0, MAX_BID - 1], [0, MAX_BID - 1, 3],
                     [2, 9, 9], [9, 2, 9]])
    rng = np.random.default_rng(8)
    fp, sp = first_price(bids, rng), second_price(bids, rng, servers=3)
    assert fp.output[:, 0].tolist() == [0, 0, 1, 0, 1, 1, 0]
    assert fp.output[:, 1].tolist() == bids.max(axis=1).tolist()
    assert sp.output[:, 0].tolist() == [0, 0, 1, 0, 1, 1, 0]
    assert sp.output[:, 1].tolist() == [5, 0, 7, MAX_BID - 1, 3, 9, 9]


@pytest.mark.parametrize("n, m", [(2, 2), (3, 2), (5, 3), (8, 4), (9, 2)])
def test_auction_ledger(n, m):
    rng = np.random.default_rng(9)
    bids = rng.integers(0, 100, (5, n))
    c, levels = clog2(m), clog2(n)
    tournament = levels * (7 * c + 2)
    reveal = 2  # opened among the servers, then announced to the bidders (see the report)
    fp = first_price(bids, rng, servers=m)
    assert fp.ledger.rounds == 1 + tournament + reveal
    sp = second_price(bids, rng, servers=m)
    assert sp.ledger.rounds == 1 + 2 * (tournament + reveal)
    assert fp.roles.recipients == tuple(range(n + m))
    assert set(fp.view(0)) == {"input", "output"}
    assert any(k.startswith("opened_") for k in fp.view(n))


@pytest.mark.parametrize("bids", [[[1, -1]], [[0, MAX_BID]], [[1.5, 2.0]], [[3.0, 2.0]]])
def test_bids_out_of_range(bids):
    with pytest.raises(ConfigError) as err:
        first_price(bids, np.random.default_rng(0))
    assert err.value.key == "bids"
    with pytest.raises(ConfigError):
        second_price(bids, np.random.default_rng(0))


def test_auction_needs_two_bidders_and_two_servers():
    with pytest.raises(ConfigError) as err:
        first_price([[5]], np.random.default_rng(0))
    assert err.value.key == "n"
    with pytest.raises(ConfigError) as err:
        second_price([[5, 3]], np.random.default_rng(0), servers=1)
    assert err.value.key == "mechanism.servers"


# == private inference ===================================================================================
ULP = 2.0**-FRAC_BITS


def float_tolerance(x, w, f=FRAC_BITS):
    """|fixed-point score − x·w − b|: encoding each x and w moves it by ≤ 2^-(f+1), so each
    product by ≤ (|x|+|w|)·2^-(f+1) + 2^-2(f+1); the bias by 2^-(f+1); the truncations
    (plaintext floor and protocol) by ≤ 2 ulp."""
    h = 2.0 ** -(f + 1)
    return ((np.abs(x) + np.abs(w)) * h + h * h).sum(axis=-1) + h + 2 * 2.0**-f + 1e-12


@given(st.integers(1, 12), st.sampled_from([0.5, 8.0, 20.0]), st.floats(-50, 50), st.integers(0, 2**32))
def test_linear_score_equals_fixed_point_plaintext(k, scale, b, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-scale, scale, (200, k))
    w = rng.uniform(-scale, scale, k)
    run = linear_score(x, w, b, rng)
    plain = plaintext_score(x, w, b)
    assert np.all(np.abs(run.output - plain) <= ULP)  # within one unit in the last place
    assert np.all(np.abs(run.output - (x @ w + b)) <= float_tolerance(x, w))


def test_linear_score_per_trial_weights_and_other_precisions():
    rng = np.random.default_rng(11)
    for f, reach in ((8, 4.0), (16, 4.0), (20, 1.0)):  # Σ|x·w| < 2^(43-2f): smaller inputs at f = 20
        x, w = rng.uniform(-reach, reach, (300, 5)), rng.uniform(-reach, reach, (300, 5))
        run = linear_score(x, w, -1.25 if f < 20 else -0.25, rng, f=f)
        b = -1.25 if f < 20 else -0.25
        assert np.all(np.abs(run.output - plaintext_score(x, w, b, f)) <= 2.0**-f)
        assert np.all(np.abs(run.output - (np.sum(x * w, axis=1) + b)) <= float_tolerance(x, w, f))


def test_logistic_is_sigmoid_of_the_score():
    rng_seed, x, w, b = 12, np.random.default_rng(0).uniform(-3, 3, (300, 4)), np.array([0.5, -1, 2, 0.25]), 0.3
    lin = linear_score(x, w, b, np.random.default_rng(rng_seed))
    log = linear_score(x, w, b, np.random.default_rng(rng_seed), logistic=True)
    np.testing.assert_array_equal(log.output, expit(lin.output))  # same randomness, same score
    assert np.all(np.abs(log.output - expit(plaintext_score(x, w, b))) <= ULP / 4 + 1e-15)
    assert np.all((log.output > 0) & (log.output < 1))


@pytest.mark.parametrize("k", [1, 3, 10])
def test_linear_score_ledger_and_views(k):
    rng = np.random.default_rng(13)
    x = rng.uniform(-1, 1, (7, k))
    run = linear_score(x, np.ones(k), 0.0, rng)
    L = run.ledger
    assert L.rounds == 3  # inputs, Beaver, reveal
    assert L.messages == 5  # 1 + 1 inputs, 2 openings, 1 reveal
    assert L.total_bytes == 8 * (k + k + 2 * 2 * k + 1)
    assert L.offline_bytes == 3 * k * 2 * 8
    assert run.roles.recipients == (0,)
    assert "output" in run.view(0) and "output" not in run.view(1)
    np.testing.assert_array_equal(run.view(0)["input"], x)


def test_linear_score_range_errors():
    rng = np.random.default_rng(0)
    limit = 2.0 ** (31 - FRAC_BITS)
    with pytest.raises(ConfigError) as err:
        linear_score(np.full((2, 3), limit), np.ones(3), 0.0, rng)
    assert err.value.key == "query"
    with pytest.raises(ConfigError) as err:
        linear_score(np.ones((2, 3)), [1.0, -limit, 0.0], 0.0, rng)
    assert err.value.key == "model.weights"


@pytest.mark.parametrize("wlen", [2, 5])
def test_linear_score_mismatched_lengths(wlen):
    with pytest.raises(ConfigError) as err:
        linear_score(np.ones((4, 3)), np.ones(wlen), 0.0, np.random.default_rng(0))
    assert err.value.key == "model.weights"


@pytest.mark.parametrize("x0, k", [(2.0**14, 1), (2.0**14.9, 4)])
def test_linear_score_correct_wherever_inputs_are_accepted(x0, k):
    x, w = np.full((2000, k), x0), np.full(k, x0)
    try:
        run = linear_score(x, w, 0.0, np.random.default_rng(14))
    except ConfigError:
        return
    assert np.all(np.abs(run.output - x @ w) <= float_tolerance(x, w))


# == private set intersection ============================================================================
def random_sets(rng, T, size, universe):
    """(T, size) distinct integers per row from range(universe)."""
    return np.argsort(rng.random((T, universe)), axis=1)[:, :size]


@given(st.integers(1, 30), st.integers(1, 30), st.sampled_from([40, 200, 10**6]), st.integers(0, 2**32))
def test_dh_psi_equals_isin(k, l, universe, seed):
    rng = np.random.default_rng(seed)
    universe = max(universe, k, l)
    T = 50
    if universe > 10**5:  # large values: rows drawn without replacement, then some shared
        xy = np.stack([rng.choice(universe, size=k + l, replace=False) for _ in range(T)])
        x, y = xy[:, :k], xy[:, k:].copy()
        common = min(k, l) // 2
        y[:, :common] = x[:, :common]
    else:
        x, y = random_sets(rng, T, k, universe), random_sets(rng, T, l, universe)
    run = dh_psi(x, y, rng)
    expected = np.stack([np.isin(a, b) for a, b in zip(x, y)])
    np.testing.assert_array_equal(run.output, expected)
    card = dh_psi(x, y, rng, cardinality_only=True)
    np.testing.assert_array_equal(card.output, expected.sum(axis=1))


@pytest.mark.parametrize("k, l, e", [(1, 1, 4), (10, 3, 4), (5, 20, 32), (7, 7, 256)])
def test_dh_psi_ledger(k, l, e):
    rng = np.random.default_rng(15)
    run = dh_psi(random_sets(rng, 3, k, 50), random_sets(rng, 3, l, 50), rng, element_bytes=e)
    L = run.ledger
    assert L.messages == 2 and L.rounds == 2
    assert L.total_bytes == (2 * k + l) * e
    assert L.bytes_sent.tolist() == [k * e, (k + l) * e]
    assert run.roles.recipients == (0,)
    assert set(run.view(0)) == {"input", "alpha", "received_double", "received_y", "output"}
    assert set(run.view(1)) == {"input", "beta", "received_x"}


def test_dh_psi_messages_are_group_elements():
    rng = np.random.default_rng(16)
    x, y = random_sets(rng, 20, 8, 30), random_sets(rng, 20, 8, 30)
    run = dh_psi(x, y, rng)
    for arr in (run.view(1)["received_x"], run.view(0)["received_double"], run.view(0)["received_y"]):
        a = arr.astype(object)
        assert np.all((a > 1) & (a < SAFE_PRIME))
        assert all(pow(int(v), ORDER, SAFE_PRIME) == 1 for v in a.ravel()[:50])  # in the order-q subgroup
    h = hash_to_group(np.arange(1000))
    assert len(np.unique(h)) == 1000


@pytest.mark.parametrize("x, y, key", [
    (np.zeros((2, 0), int), [[1], [2]], "set_x"),
    ([[1], [2]], np.zeros((2, 0), int), "set_y"),
    ([[1, 2, 1]], [[3]], "set_x"),
    ([[1, 2]], [[3, 4, 4]], "set_y"),
    ([1, 2], [[3]], "set_x"),
])
def test_dh_psi_bad_sets(x, y, key):
    with pytest.raises(ConfigError) as err:
        dh_psi(x, y, np.random.default_rng(0))
    assert err.value.key == key


@pytest.mark.parametrize("n,B", [(1, 5), (2, 3), (3, 4), (4, 5)])
def test_consistent_bids_count_every_bid_vector_by_its_output(n, B):
    """The table behind auction's leaked_bits equals a brute-force count over all B^n bids,
    and so does the closed form of its mean."""
    from simprive.releases.auction import consistent_bids, mean_leaked_bits

    count = np.zeros((B, n))
    for bids in product(range(B), repeat=n):
        count[max(bids), bids.index(max(bids))] += 1
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(consistent_bids(n, B), np.log2(count))
    p = count / B**n
    with np.errstate(divide="ignore", invalid="ignore"):
        leak = np.where(count > 0, (n - 1) * np.log2(B) - np.log2(count), 0.0)
    assert mean_leaked_bits(n, B) == pytest.approx(float((p * leak).sum()), rel=1e-12, abs=1e-12)
