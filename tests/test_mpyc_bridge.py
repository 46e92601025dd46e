"""MPyC bridge: real MPyC parties (local processes over loopback) agree with plaintext."""

import numpy as np
import pytest

from simprive.mpc.mpyc_bridge import FUNCTIONS, plaintext, run_mpyc

T, M, K = 5, 3, 4


def _inputs(function, trials=T, parties=M, seed=0):
    rng = np.random.default_rng(seed)
    if function == "tally":
        return rng.integers(0, K, (trials, parties))
    if function == "threshold":
        return rng.integers(0, 2, (trials, parties))
    return rng.integers(0, 1000, (trials, parties))


def _options(function):
    return {"k": K} if function == "tally" else None


@pytest.fixture(scope="module")
def three_party():
    """One MPyC session per function, m = 3 parties, T = 5 trials."""
    return {f: (_inputs(f), run_mpyc(f, _inputs(f), options=_options(f), timeout=60)) for f in FUNCTIONS}


@pytest.mark.parametrize("function", FUNCTIONS)
def test_outputs_equal_plaintext(three_party, function):
    x, res = three_party[function]
    expected = plaintext(function, x, _options(function))
    assert res.outputs.shape == expected.shape
    np.testing.assert_array_equal(res.outputs, expected)
    assert res.parties == M and res.trials == T and res.version.startswith("0.")


@pytest.mark.parametrize("function", FUNCTIONS)
def test_three_parties_send_bytes(three_party, function):
    _, res = three_party[function]
    assert len(res.bytes_sent) == M and all(b > 0 for b in res.bytes_sent)
    assert res.total_bytes == sum(res.bytes_sent)
    # per-destination counters read just before shutdown match MPyC's logged totals
    np.testing.assert_array_equal(res.bytes_matrix.sum(axis=1), res.bytes_sent)
    assert np.all(np.diag(res.bytes_matrix) == 0)
    assert res.seconds > 0 and all(s >= 0 for s in res.mpyc_seconds)


def test_comparisons_cost_more_than_sums(three_party):
    assert three_party["max"][1].total_bytes > 10 * three_party["sum"][1].total_bytes


@pytest.mark.parametrize("function", ["sum", "max", "threshold"])
def test_one_party_sends_nothing(function):
    x = _inputs(function, parties=1, seed=1)
    res = run_mpyc(function, x, timeout=60)
    np.testing.assert_array_equal(res.outputs, plaintext(function, x))
    assert res.bytes_sent == [0] and res.parties == 1


def test_ties_go_to_the_first_index_and_set_the_second_price():
    x = np.array([[7, 7, 3, 7, 1], [1, 2, 9, 9, 0], [5, 5, 5, 5, 5], [0, 0, 0, 0, 8]])
    for function in ("max", "second_price"):
        res = run_mpyc(function, x, timeout=60)
        np.testing.assert_array_equal(res.outputs, plaintext(function, x))
    np.testing.assert_array_equal(plaintext("second_price", x), [[0, 7], [2, 9], [0, 5], [4, 0]])
    np.testing.assert_array_equal(plaintext("max", x), [[7, 0], [9, 2], [5, 0], [8, 4]])


def test_negative_and_large_values_two_parties():
    x = np.array([[-5, 3], [2**40, -(2**40)], [-7, -9], [0, 0]])
    for function in ("sum", "second_price"):
        res = run_mpyc(function, x, timeout=60)
        np.testing.assert_array_equal(res.outputs, plaintext(function, x))


def test_tally_with_four_parties():
    x = _inputs("tally", trials=3, parties=4, seed=2)
    res = run_mpyc("tally", x, options={"k": K}, timeout=60)
    np.testing.assert_array_equal(res.outputs, plaintext("tally", x, {"k": K}))
    assert res.outputs.sum(axis=1).tolist() == [4, 4, 4]


def test_plaintext_reference():
    x = np.array([[1, 0, 1], [0, 0, 1]])
    np.testing.assert_array_equal(plaintext("sum", x), [2, 1])
    np.testing.assert_array_equal(plaintext("threshold", x), [1, 0])
    np.testing.assert_array_equal(plaintext("tally", x, {"k": 3}), [[1, 2, 0], [2, 1, 0]])


def test_invalid_requests_fail_before_launch():
    with pytest.raises(ValueError, match="function"):
        run_mpyc("median", [[1, 2]])
    with pytest.raises(ValueError, match="k"):
        run_mpyc("tally", [[0, 1]])
    with pytest.raises(ValueError, match="0/1"):
        run_mpyc("threshold", [[0, 2]])
    with pytest.raises(ValueError, match="2 parties"):
        run_mpyc("second_price", [[3]])
    with pytest.raises(TypeError):
        run_mpyc("sum", [[0.5, 1.0]])
    with pytest.raises(ValueError, match="bridge sets"):
        run_mpyc("sum", [[1, 2]], mpyc_args=["-M", "2"])


def test_party_failure_raises_with_mpyc_stderr():
    with pytest.raises(RuntimeError, match="threshold 2 too large"):
        run_mpyc("sum", [[1, 2, 3]], mpyc_args=["-T", "2"], timeout=60)


def test_timeout_raises():
    with pytest.raises(RuntimeError, match="timed out"):
        run_mpyc("max", _inputs("max"), timeout=0.05)
