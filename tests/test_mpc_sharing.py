"""Additive and Shamir secret sharing (simprive.mpc.sharing): correctness, thresholds and
the statistical privacy of the shares, at fixed seeds."""

from itertools import combinations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from simprive.mpc.rings import MERSENNE61, Integers, PrimeField, Ring64
from simprive.mpc.sharing import (
    additive_reconstruct,
    additive_share,
    lagrange_at_zero,
    shamir_reconstruct,
    shamir_share,
)
from simprive.validation import ConfigError

ADDITIVE_FIELDS = [PrimeField(), PrimeField(101), PrimeField(65537), Ring64(), Integers()]
SHAMIR_FIELDS = [PrimeField(), PrimeField(65537), PrimeField(4294967291), PrimeField(101)]


def secrets_for(field, rng, T):
    if isinstance(field, Integers):
        return rng.integers(-10**6, 10**6, size=T)
    return field.random(rng, T)


def contingency_p(a_cells, b_cells, ncells):
    """Two-sample chi-square (contingency) p-value: do the two samples of cell indices share
    one distribution?  Empty cells in both rows are dropped."""
    table = np.stack([np.bincount(a_cells, minlength=ncells), np.bincount(b_cells, minlength=ncells)])
    table = table[:, table.sum(axis=0) > 0]
    return stats.chi2_contingency(table).pvalue


def joint_cells(cols, base):
    cells = np.zeros(cols.shape[0], np.int64)
    for c in range(cols.shape[1]):
        cells = cells * base + cols[:, c].astype(np.int64)
    return cells


# -- round trips ---------------------------------------------------------------------------------
@given(st.sampled_from(ADDITIVE_FIELDS), st.integers(1, 9), st.integers(0, 2**32), st.integers(1, 50))
def test_additive_round_trip(field, n, seed, T):
    rng = np.random.default_rng(seed)
    s = secrets_for(field, rng, T)
    sh = additive_share(s, n, field, rng)
    assert sh.shape == (T, n)
    np.testing.assert_array_equal(additive_reconstruct(sh, field), s)


def test_additive_round_trip_edge_secrets_and_shapes():
    f = PrimeField()
    rng = np.random.default_rng(0)
    s = np.array([[0, 1], [MERSENNE61 - 1, 1 << 60]], np.uint64)
    sh = additive_share(s, 5, f, rng)
    assert sh.shape == (2, 2, 5) and np.all(sh < np.uint64(MERSENNE61))
    np.testing.assert_array_equal(additive_reconstruct(sh, f), s)


@given(st.sampled_from(SHAMIR_FIELDS), st.integers(2, 9), st.data(), st.integers(0, 2**32))
def test_shamir_round_trip(field, n, data, seed):
    t = data.draw(st.integers(0, n - 1))
    rng = np.random.default_rng(seed)
    s = field.random(rng, 30)
    sh = shamir_share(s, n, t, field, rng)
    assert sh.shape == (30, n) and np.all(sh < np.uint64(field.modulus))
    np.testing.assert_array_equal(shamir_reconstruct(sh, np.arange(1, n + 1), field), s)
    # any t + 1 of them, in any order
    subset = data.draw(st.permutations(range(n)))[: t + 1]
    np.testing.assert_array_equal(shamir_reconstruct(sh[:, subset], np.array(subset) + 1, field), s)


def test_shamir_shares_are_polynomial_evaluations():
    f = PrimeField(101)
    rng = np.random.default_rng(1)
    sh = shamir_share(np.uint64(7), 4, 0, f, rng)
    assert sh.tolist() == [7, 7, 7, 7]  # degree 0: every share is the secret
    sh = shamir_share(np.array([5], np.uint64), 6, 2, f, np.random.default_rng(2))[0].astype(int)
    # degree 2: third finite differences of f(1..6) vanish mod p
    assert np.all(np.diff(sh, 3) % 101 == 0)


@pytest.mark.parametrize("field", [PrimeField(), PrimeField(65537)], ids=lambda f: f.name)
@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_shamir_any_t_plus_1_subset_reconstructs_and_t_do_not(field, n):
    rng = np.random.default_rng(10 + n)
    T = 400
    for t in range(n):
        s = field.random(rng, T)
        sh = shamir_share(s, n, t, field, rng)
        for subset in combinations(range(n), t + 1):
            idx = list(subset)
            np.testing.assert_array_equal(shamir_reconstruct(sh[:, idx], np.array(idx) + 1, field), s)
        for subset in combinations(range(n), t) if t else ():
            idx = list(subset)
            wrong = shamir_reconstruct(sh[:, idx], np.array(idx) + 1, field)
            # interpolating t points is a random guess: right with probability 1/q per secret
            assert np.mean(wrong == s) <= 3.0 / field.modulus + 0.02


def test_lagrange_at_zero():
    f = PrimeField()
    lam = lagrange_at_zero([1, 2, 3], f).astype(object)
    # f(x) = 2 + 3x + 5x^2: f(1), f(2), f(3) = 10, 28, 56
    assert sum(lam * np.array([10, 28, 56], dtype=object)) % MERSENNE61 == 2
    with pytest.raises(ConfigError) as err:
        lagrange_at_zero([1, 2, 2], f)
    assert err.value.key == "points"


# -- threshold errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("n, t", [(3, 3), (3, 4), (2, 5), (5, -1)])
def test_shamir_bad_threshold(n, t):
    with pytest.raises(ConfigError) as err:
        shamir_share(np.zeros(3, np.uint64), n, t, PrimeField(), np.random.default_rng(0))
    assert err.value.key == "mechanism.t" and err.value.value == t


def test_shamir_needs_n_below_field_size():
    with pytest.raises(ConfigError) as err:
        shamir_share(np.zeros(3, np.uint64), 5, 1, PrimeField(5), np.random.default_rng(0))
    assert err.value.key == "n"


def test_additive_needs_n_at_least_1():
    with pytest.raises(ConfigError) as err:
        additive_share(np.zeros(3, np.uint64), 0, PrimeField(), np.random.default_rng(0))
    assert err.value.key == "n"


# -- statistics: uniformity and independence from the secret ---------------------------------------------
def test_each_additive_share_is_uniform():
    f = PrimeField(101)
    sh = additive_share(np.full(101 * 200, 42, np.uint64), 4, f, np.random.default_rng(20))
    for j in range(4):  # including the last, computed share
        counts = np.bincount(sh[:, j].astype(np.int64), minlength=101)
        assert stats.chisquare(counts).pvalue > 1e-3, j


def test_each_additive_share_top_bits_uniform_mersenne():
    f = PrimeField()
    sh = additive_share(np.full(32000, 1 << 60, np.uint64), 3, f, np.random.default_rng(21))
    for j in range(3):
        counts = np.bincount((sh[:, j] >> np.uint64(56)).astype(np.int64), minlength=32)
        assert stats.chisquare(counts).pvalue > 1e-3, j


@pytest.mark.parametrize("n", [2, 3])
def test_any_n_minus_1_additive_shares_independent_of_secret_small_prime(n):
    q, T = 11, 30000
    f = PrimeField(q)
    rng = np.random.default_rng(30 + n)
    a = additive_share(np.zeros(T, np.uint64), n, f, rng)
    b = additive_share(np.full(T, 1, np.uint64), n, f, rng)
    for subset in combinations(range(n), n - 1):
        idx = list(subset)
        p = contingency_p(joint_cells(a[:, idx], q), joint_cells(b[:, idx], q), q ** (n - 1))
        assert p > 1e-3, (subset, p)
    # positive control: all n shares determine the secret
    assert contingency_p(joint_cells(a, q), joint_cells(b, q), q**n) < 1e-10


def test_any_n_minus_1_additive_shares_independent_of_secret_mersenne():
    f, n, T = PrimeField(), 4, 30000
    rng = np.random.default_rng(40)
    a = additive_share(np.zeros(T, np.uint64), n, f, rng)
    b = additive_share(np.full(T, (1 << 60) + 12345, np.uint64), n, f, rng)
    top = lambda x: x >> np.uint64(59)  # noqa: E731  top 2 of 61 bits: 4 bins each
    for subset in combinations(range(n), n - 1):
        idx = list(subset)
        p = contingency_p(joint_cells(top(a[:, idx]), 4), joint_cells(top(b[:, idx]), 4), 4 ** (n - 1))
        assert p > 1e-3, (subset, p)


def test_any_t_shamir_shares_independent_of_secret():
    q, n, t, T = 11, 4, 2, 30000
    f = PrimeField(q)
    rng = np.random.default_rng(50)
    a = shamir_share(np.zeros(T, np.uint64), n, t, f, rng)
    b = shamir_share(np.full(T, 5, np.uint64), n, t, f, rng)
    for subset in combinations(range(n), t):
        idx = list(subset)
        p = contingency_p(joint_cells(a[:, idx], q), joint_cells(b[:, idx], q), q**t)
        assert p > 1e-3, (subset, p)
    for j in range(n):  # and each single share is uniform
        assert stats.chisquare(np.bincount(a[:, j].astype(np.int64), minlength=q)).pvalue > 1e-3
    for subset in combinations(range(n), t + 1):  # positive control: t + 1 shares reveal it
        idx = list(subset)
        assert contingency_p(joint_cells(a[:, idx], q), joint_cells(b[:, idx], q), q ** (t + 1)) < 1e-10


def test_single_shamir_share_independent_of_secret_t1():
    q, T = 101, 40000
    f = PrimeField(q)
    rng = np.random.default_rng(51)
    a = shamir_share(np.zeros(T, np.uint64), 3, 1, f, rng)
    b = shamir_share(np.full(T, 100, np.uint64), 3, 1, f, rng)
    for j in range(3):
        assert contingency_p(a[:, j].astype(np.int64), b[:, j].astype(np.int64), q) > 1e-3
