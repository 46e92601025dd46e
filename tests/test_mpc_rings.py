"""Field and ring arithmetic of the MPC simulator (simprive.mpc.rings), checked against
Python's big-integer arithmetic mod q."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from simprive.mpc.rings import MERSENNE61, Integers, PrimeField, Ring64, make_ring
from simprive.validation import ConfigError

Q = MERSENNE61
SMALL_PRIMES = (3, 101, 65537, 2147483647, 4294967291)  # 4294967291 = largest prime below 2^32
FIELDS = [PrimeField(), *(PrimeField(p) for p in SMALL_PRIMES), Ring64()]


def edges(q: int) -> list[int]:
    """Values where limb splits, carries and reductions change behaviour."""
    cand = {0, 1, 2, 3, q - 1, q - 2, q // 2, q // 2 + 1, (q - 1) // 2}
    for k in (7, 29, 31, 32, 33, 60, 61, 62, 63):
        for d in (-1, 0, 1):
            cand.add((1 << k) + d)
    cand |= {0xFFFFFFFF * 3, (1 << 32) * 0x1FFFFFFF, MERSENNE61 - (1 << 32)}
    return sorted(v for v in cand if 0 <= v < q)


@st.composite
def field_and_values(draw, size=st.integers(1, 20)):
    field = draw(st.sampled_from(FIELDS))
    q = field.modulus
    elem = st.one_of(st.sampled_from(edges(q)), st.integers(0, q - 1))
    k = draw(size)
    a = draw(st.lists(elem, min_size=k, max_size=k))
    b = draw(st.lists(elem, min_size=k, max_size=k))
    return field, a, b


def u64(values) -> np.ndarray:
    return np.array(values, dtype=np.uint64)


def as_ints(arr) -> list[int]:
    return [int(v) for v in np.asarray(arr).ravel()]


# -- elementwise operations against big integers -------------------------------------------
@given(field_and_values())
def test_add_sub_neg_mul_match_bigint(fab):
    field, a, b = fab
    q = field.modulus
    A, B = u64(a), u64(b)
    assert as_ints(field.add(A, B)) == [(x + y) % q for x, y in zip(a, b)]
    assert as_ints(field.sub(A, B)) == [(x - y) % q for x, y in zip(a, b)]
    assert as_ints(field.neg(A)) == [(-x) % q for x in a]
    assert as_ints(field.mul(A, B)) == [(x * y) % q for x, y in zip(a, b)]


@given(field_and_values(size=st.integers(0, 60)))
def test_sum_matches_bigint(fab):
    field, a, _ = fab
    assert int(field.sum(u64(a))) == sum(a) % field.modulus


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f.name)
def test_all_pairs_of_edge_values(field):
    """The full cross product of edge values (incl. random ones), vectorised."""
    q = field.modulus
    rng = np.random.default_rng(1)
    vals = edges(q) + as_ints(rng.integers(0, q, size=40, dtype=np.uint64, endpoint=False))
    A, B = np.meshgrid(u64(vals), u64(vals), indexing="ij")
    a, b = np.array(vals, dtype=object)[:, None], np.array(vals, dtype=object)[None, :]
    for op, ref in ((field.add, (a + b) % q), (field.sub, (a - b) % q), (field.mul, (a * b) % q)):
        got = op(A, B)
        assert got.dtype == np.uint64
        np.testing.assert_array_equal(got.astype(object), ref)
    np.testing.assert_array_equal(field.neg(u64(vals)).astype(object), (-np.array(vals, dtype=object)) % q)


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f.name)
def test_many_random_products_and_results_are_reduced(field):
    q = field.modulus
    rng = np.random.default_rng(2)
    a, b = field.random(rng, 20000), field.random(rng, 20000)
    ao, bo = a.astype(object), b.astype(object)
    np.testing.assert_array_equal(field.mul(a, b).astype(object), (ao * bo) % q)
    np.testing.assert_array_equal(field.add(a, b).astype(object), (ao + bo) % q)
    np.testing.assert_array_equal(field.sub(a, b).astype(object), (ao - bo) % q)
    if q < 1 << 64:
        for out in (field.mul(a, b), field.add(a, b), field.sub(a, b), field.neg(a)):
            assert np.all(out < np.uint64(q))


def test_mul_broadcasts_scalars():
    f = PrimeField()
    a = u64([Q - 1, 2, 1 << 60])
    assert as_ints(f.mul(a, np.uint64(Q - 1))) == [(x * (Q - 1)) % Q for x in as_ints(a)]
    assert as_ints(f.mul(np.uint64(3), a)) == [(3 * x) % Q for x in as_ints(a)]


# -- sums over long axes ---------------------------------------------------------------------
@pytest.mark.parametrize("field", [PrimeField(), PrimeField(4294967291), PrimeField(101), Ring64()],
                         ids=lambda f: f.name)
@pytest.mark.parametrize("terms", [1, 6, 7, 8, 49, 50, 1000, 100003])
def test_long_sum_of_max_elements_does_not_overflow(field, terms):
    q = field.modulus
    a = np.full(terms, q - 1, dtype=object).astype(np.uint64)
    assert int(field.sum(a)) == (terms * (q - 1)) % q


@pytest.mark.parametrize("field", [PrimeField(), PrimeField(65537), Ring64()], ids=lambda f: f.name)
def test_sum_along_any_axis(field):
    q = field.modulus
    rng = np.random.default_rng(3)
    a = field.random(rng, (13, 1000, 3))
    ref = a.astype(object)
    for axis in (0, 1, 2, -1):
        got = field.sum(a, axis=axis)
        np.testing.assert_array_equal(got.astype(object), ref.sum(axis=axis) % q)


def test_sum_of_empty_axis_is_zero():
    f = PrimeField()
    assert f.sum(np.zeros((4, 0), np.uint64)).tolist() == [0, 0, 0, 0]


# -- Integers: plain arithmetic --------------------------------------------------------------
@given(st.lists(st.tuples(st.integers(-(2**31), 2**31), st.integers(-(2**31), 2**31)), min_size=1, max_size=30))
def test_integers_are_plain_integers(pairs):
    z = Integers()
    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    assert as_ints(z.add(a, b)) == [x + y for x, y in pairs]
    assert as_ints(z.sub(a, b)) == [x - y for x, y in pairs]
    assert as_ints(z.neg(a)) == [-x for x in a]
    assert as_ints(z.mul(a, b)) == [x * y for x, y in pairs]
    assert int(z.sum(a)) == sum(a)
    assert as_ints(z.decode(z.encode(a))) == a


def test_integers_random_is_within_spread():
    z = Integers(spread=7)
    r = z.random(np.random.default_rng(4), 20000)
    assert r.min() == -7 and r.max() == 7
    assert z.modulus is None and z.element_bytes == 8


# -- encode / decode -------------------------------------------------------------------------
@given(st.data())
def test_signed_integer_round_trip(data):
    field = data.draw(st.sampled_from([PrimeField(), PrimeField(101), PrimeField(4294967291), Ring64()]))
    m = field.max_int if isinstance(field, PrimeField) else 1 << 62
    xs = data.draw(st.lists(st.one_of(st.sampled_from([0, 1, -1, m, -m, m - 1, -m + 1]), st.integers(-m, m)),
                            min_size=1, max_size=20))
    enc = field.encode(np.array(xs, dtype=np.int64))
    assert enc.dtype == np.uint64
    assert as_ints(enc) == [x % field.modulus for x in xs]  # negatives as q − |x|
    assert as_ints(field.decode(enc)) == xs


@given(st.data())
def test_fixed_point_round_trip(data):
    field = data.draw(st.sampled_from([PrimeField(), PrimeField(4294967291), Ring64()]))
    f = data.draw(st.sampled_from([1, 8, 16, 24]))
    limit = min(field.max_int, 1 << 62) / 2.0 ** (f + 1)  # well inside ±max_int/2^f
    xs = data.draw(st.lists(st.floats(-limit, limit, allow_nan=False), min_size=1, max_size=20))
    dec = field.decode(field.encode(xs, frac_bits=f), frac_bits=f)
    np.testing.assert_array_equal(dec, np.rint(np.array(xs) * 2.0**f) / 2.0**f)
    assert np.all(np.abs(dec - np.array(xs)) <= 2.0 ** -(f + 1))


def test_fixed_point_examples():
    f = PrimeField()
    assert f.decode(f.encode([-1.5, 0.25, 3.0], frac_bits=2), frac_bits=2).tolist() == [-1.5, 0.25, 3.0]
    assert as_ints(f.encode([-1.5], frac_bits=2)) == [Q - 6]


@pytest.mark.parametrize("field", [PrimeField(), PrimeField(101), PrimeField(65537), PrimeField(4294967291)],
                         ids=lambda f: f.name)
def test_integer_range_error(field):
    m = field.max_int
    assert m == (field.modulus - 1) // 2
    field.encode([m, -m])  # the edges encode
    for bad in (m + 1, -(m + 1)):
        with pytest.raises(ConfigError) as err:
            field.encode(np.array([0, bad], dtype=np.int64), key="inputs")
        assert err.value.key == "inputs" and err.value.value == bad
    with pytest.raises(ConfigError) as err:
        field.encode([m + 1])
    assert err.value.key == "value"


@pytest.mark.parametrize("field, f", [(PrimeField(), 16), (PrimeField(4294967291), 8), (PrimeField(65537), 4)],
                         ids=lambda v: getattr(v, "name", str(v)))
def test_fixed_point_range_error(field, f):
    bound = field.max_int / 2.0**f
    field.encode([0.99 * bound, -0.99 * bound], frac_bits=f)
    for bad in (2 * bound, -2 * bound, 1e30):
        with pytest.raises(ConfigError) as err:
            field.encode([bad], frac_bits=f, key="query")
        assert err.value.key == "query"


def test_ring64_range_error():
    r = Ring64()
    assert r.decode(r.encode([-(1 << 62), 1 << 62])).tolist() == [-(1 << 62), 1 << 62]
    for bad in ((1 << 62) + (1 << 20), (1 << 63) - 1, -(1 << 63) + 1):
        with pytest.raises(ConfigError) as err:
            r.encode(np.array([bad], np.int64), key="value")
        assert err.value.key == "value"
    with pytest.raises(ConfigError):
        r.encode([2.0**47], frac_bits=16)


@pytest.mark.parametrize("x", [2.0**44, -(2.0**44)])
def test_fixed_point_boundary_just_outside_range(x):
    f = PrimeField()  # max_int = 2^60 - 1, so |x·2^16| = 2^60 is one past the range
    try:
        enc = f.encode([x], frac_bits=16)
    except ConfigError:
        return
    assert f.decode(enc, frac_bits=16)[0] == x  # if accepted, it must at least round-trip


# -- constructors, names, metadata --------------------------------------------------------------
def test_prime_field_metadata():
    f = PrimeField()
    assert f.modulus == Q == 2**61 - 1 and f.name == "mersenne61" and f.element_bytes == 8
    assert f.max_int == 2**60 - 1
    assert PrimeField(101).name == "prime101" and PrimeField(101).element_bytes == 1
    assert PrimeField(65537).element_bytes == 3 and PrimeField(4294967291).element_bytes == 4
    r = Ring64()
    assert r.modulus == 2**64 and r.name == "ring64" and r.element_bytes == 8 and r.max_int == 2**62


@pytest.mark.parametrize("bad", [1, 4, 561, 1105, 65536, 4294967297, 4294967311, 2**61 + 1, 2**89 - 1])
def test_prime_field_rejects_non_primes_and_large_primes(bad):
    # 561, 1105: Carmichael numbers; 4294967311, 2^89 − 1: primes but too large
    with pytest.raises(ConfigError) as err:
        PrimeField(bad)
    assert err.value.key == "mechanism.field"


@pytest.mark.parametrize("p", [3, 5, 7, 101, 65537, 2147483647, 4294967087, 4294967291])
def test_prime_field_accepts_primes(p):
    assert PrimeField(p).modulus == p


def test_make_ring_names():
    assert make_ring() == PrimeField() == make_ring("mersenne61") == make_ring(MERSENNE61)
    assert make_ring(str(MERSENNE61)) == PrimeField()
    assert isinstance(make_ring("ring64"), Ring64)
    assert isinstance(make_ring("integers"), Integers)
    assert make_ring(65537) == PrimeField(65537) == make_ring("65537")


@pytest.mark.parametrize("bad", ["bogus", "Ring64", "", "1.5", 4, "4", 4294967311])
def test_make_ring_error(bad):
    with pytest.raises(ConfigError) as err:
        make_ring(bad)
    assert err.value.key == "mechanism.field"


def test_inverse():
    for f in (PrimeField(), PrimeField(101)):
        for a in (1, 2, 3, f.modulus - 1, 12345):
            assert (a * f.inverse(a)) % f.modulus == 1
        with pytest.raises(ZeroDivisionError):
            f.inverse(f.modulus)


def test_random_is_uniform_small_prime():
    f = PrimeField(101)
    counts = np.bincount(f.random(np.random.default_rng(5), 101 * 300).astype(np.int64), minlength=101)
    assert len(counts) == 101
    assert stats.chisquare(counts).pvalue > 1e-3


def test_random_top_bits_uniform_mersenne():
    f = PrimeField()
    r = f.random(np.random.default_rng(6), 64000)
    assert np.all(r < np.uint64(Q))
    counts = np.bincount((r >> np.uint64(55)).astype(np.int64), minlength=64)  # 6 top bits of 61
    assert stats.chisquare(counts).pvalue > 1e-3
